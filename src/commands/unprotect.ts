import { tagCommand } from "./protect";

export const run = tagCommand(false);
