/**
 * Starts the pack the way the Pulumi engine does and talks to it over gRPC, for tests: the node
 * language host runs `@pulumi/pulumi/cmd/run-policy-pack` in the pack's directory with the stack's
 * name and config in the environment, reads the port the pack prints, and sends AnalyzeRequests.
 */
import { spawn } from "node:child_process";
import * as path from "node:path";
import * as grpc from "@grpc/grpc-js";
import { AnalyzerClient } from "@pulumi/pulumi/proto/analyzer_grpc_pb";
import type { AnalyzeResponse } from "@pulumi/pulumi/proto/analyzer_pb";
import { analyzeRequest, violationsOf, type AnalyzedResource, type Violation } from "./offline";

const POLICY_DIR = __dirname;
const RUN_POLICY_PACK = require.resolve("@pulumi/pulumi/cmd/run-policy-pack");

export interface RunningPack {
  analyze(resource: AnalyzedResource): Promise<Violation[]>;
  close(): void;
}

export async function startPack(stack: string, config: Readonly<Record<string, string>>): Promise<RunningPack> {
  const child = spawn(process.execPath, [RUN_POLICY_PACK, "127.0.0.1:0", "."], {
    cwd: POLICY_DIR,
    env: {
      ...process.env,
      PULUMI_NODEJS_PROJECT: "liftoff",
      PULUMI_NODEJS_STACK: stack,
      PULUMI_NODEJS_DRY_RUN: "true",
      PULUMI_CONFIG: JSON.stringify(config),
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const port = await new Promise<number>((resolve, reject) => {
    let stdout = "";
    const timer = setTimeout(() => reject(new Error(`the policy pack printed no port within 30 s\n${stderr}`)), 30_000);
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      const line = /^(\d+)\s*$/m.exec(stdout);
      if (line) {
        clearTimeout(timer);
        resolve(Number(line[1]));
      }
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`the policy pack exited (${code}) before serving:\n${stdout}${stderr}`));
    });
  });
  const client = new AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  return {
    analyze: (resource) => {
      const request = analyzeRequest(resource);
      return new Promise<Violation[]>((resolve, reject) =>
        client.analyze(request, (err: grpc.ServiceError | null, response?: AnalyzeResponse) =>
          err || !response
            ? reject(err ?? new Error("no response"))
            : resolve(violationsOf(response, request.getUrn())),
        ),
      );
    },
    close: () => {
      client.close();
      child.kill();
    },
  };
}

export const PROJECT_ROOT = path.resolve(POLICY_DIR, "..");
