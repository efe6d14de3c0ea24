/**
 * The module `pulumi up` runs (Pulumi.yaml `main`). It exports the program as a function, which the
 * engine calls without an argument: the facts about the host it runs on then come from this
 * process's environment, read here and nowhere else. The offline plan calls it with its own.
 */
import { liftoff, type ProgramContext } from "./stacks";
import { PINNED_IMAGES_ENV } from "./stacks/image-pins";

export = (
  context: ProgramContext = {
    mode: "up",
    sshAgentSocket: process.env["SSH_AUTH_SOCK"],
    pinnedImages: process.env[PINNED_IMAGES_ENV],
  },
) => liftoff(context);
