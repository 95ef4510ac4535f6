// A server component that renders the client one: `fiable` is imported
// during the server render too, where it must not touch the DOM.
import Signup from './signup';

export default function Page() {
  return <Signup />;
}
