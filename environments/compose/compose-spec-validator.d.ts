import type { ValidateFunction } from "ajv";

/** ajv's standalone validator for compose-spec.json (generated: tools/compose-schema/generate.ts). */
declare const validate: ValidateFunction;
export default validate;
