export * from "./spec";
export * from "./profiles";
export * from "./validate";
export * from "./load";
export { parseImageRef, formatImageRef, type ImageRef } from "./image-ref";
export { DATABASE_KINDS, type DataSpec, type DatabaseKind, type DatabaseNeed, type MongoSpec, type PostgresSpec } from "./data";
