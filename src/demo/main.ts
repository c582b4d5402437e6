// `node dist/demo/main.js` (inside the sandbox): the demo without the CLI.
// `netplumb demo` and `npm run demo` are the usual ways in; they enter the sandbox themselves.
import { runDemo } from './run-demo.js';

try {
  process.exitCode = (await runDemo()) ? 0 : 1;
} catch (e) {
  console.error(`demo: ${(e as Error).message}`);
  process.exitCode = 2;
}
// The engine's DNS sockets may keep the event loop alive; the demo is over.
process.exit();
