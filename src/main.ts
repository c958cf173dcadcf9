import { VERSION } from "./version";

// `--version` alone answers before the CLI (commander, every command's imports) is even evaluated:
// it is what scripts and package managers call most, and it should cost no more than Node's start.
const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === "--version" || args[0] === "-V")) process.stdout.write(`${VERSION}\n`);
else void import("./cli").then((m) => m.main(process.argv));
