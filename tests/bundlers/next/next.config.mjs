// A static export, served as files by the test; the pages are still rendered
// on the server at build time, client component included (the SSR check).
// turbopack.root: this app sits inside the fiable repository, whose own
// lock file would otherwise be taken for the workspace's.
import { fileURLToPath } from 'node:url';

// agentRules: no AGENTS.md written into the app by next dev.
export default { output: 'export', agentRules: false, turbopack: { root: fileURLToPath(new URL('.', import.meta.url)) } };
