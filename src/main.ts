import { main } from "./cli";

void main(process.argv);
