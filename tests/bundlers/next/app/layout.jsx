export const metadata = { title: 'fiable with Next.js', icons: { icon: 'data:,' } };

export default function Layout({ children }) {
  return (
    <html lang="fr">
      <body>{children}</body>
    </html>
  );
}
