/**
 * liftoff's policy pack, run by the engine on every preview and update:
 * `pulumi preview --policy-pack policy`. The engine's runner compiles this entry with ts-node; the
 * first import hands every other TypeScript file to the project's own loader, so the pack loads the
 * project's code exactly as `pulumi up` loads the program (Pulumi.yaml `nodeargs`).
 */
import "../tools/ts-register";
import { PolicyPack } from "@pulumi/policy";
import { PACK_NAME, factsFromEngine, liftoffPolicies } from "./pack";

new PolicyPack(PACK_NAME, { policies: liftoffPolicies(factsFromEngine()) });
