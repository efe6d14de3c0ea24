import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["node_modules/", "dist/", ".testbed/", "coverage/", "environments/compose/compose-spec-validator.js"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      // Pulumi resources are declared for their side effect: `new X(...)` without a binding is the idiom.
      "no-new": "off",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
    },
  },
  {
    // The few plain CommonJS scripts that Node preloads before any TypeScript can run.
    files: ["**/*.js"],
    languageOptions: {
      sourceType: "commonjs",
      globals: {
        require: "readonly",
        module: "writable",
        process: "readonly",
        __dirname: "readonly",
        console: "readonly",
      },
    },
    rules: { "@typescript-eslint/no-require-imports": "off" },
  },
);
