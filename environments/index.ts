export * from "./spec";
export * from "./profiles";
export * from "./validate";
export * from "./load";
export { parseImageRef, formatImageRef, type ImageRef } from "./image-ref";
