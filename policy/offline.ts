/**
 * Runs the pack over a stack's offline plan, through the policy runtime's own request handler:
 * every planned resource becomes the AnalyzeRequest the engine would send (properties as a protobuf
 * Struct, secrets in Pulumi's wire form, resource options), and the runtime decodes it and calls
 * the policies exactly as it does behind its gRPC server. Only the transport is left out.
 */
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { specialSecretSig, specialSigKey } from "@pulumi/pulumi/runtime/rpc";
import * as analyzerproto from "@pulumi/pulumi/proto/analyzer_pb";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import { revealInputs, type Evaluation, type PlannedResource } from "../tools/plan/evaluate";
import type { StackFacts } from "./facts";
import { PACK_NAME, POLICIES, liftoffPolicies } from "./pack";
import { unmarkedSecretInputs, unmarkedSecretStackOutputs } from "./secrets";

export type Enforcement = "mandatory" | "advisory";

export interface Violation {
  readonly policy: string;
  readonly enforcement: Enforcement;
  /** The resource's URN, or `stack outputs`. */
  readonly resource: string;
  readonly message: string;
}

/** One resource as the engine describes it to an analyzer. */
export interface AnalyzedResource {
  readonly type: string;
  readonly name: string;
  readonly urn?: string;
  /** Inputs as plain data; a secret is `{ [specialSigKey]: specialSecretSig, value }` (see wireSecret). */
  readonly props: Readonly<Record<string, unknown>>;
  readonly protect?: boolean;
  readonly additionalSecretOutputs?: readonly string[];
  readonly parent?: string;
}

/** A value as the engine sends a secret. */
export function wireSecret(value: unknown): Record<string, unknown> {
  return { [specialSigKey]: specialSecretSig, value };
}

/** The AnalyzeRequest the engine sends for a resource (pulumi/proto/analyzer.proto). */
export function analyzeRequest(resource: AnalyzedResource): analyzerproto.AnalyzeRequest {
  const request = new analyzerproto.AnalyzeRequest();
  request.setType(resource.type);
  request.setName(resource.name);
  request.setUrn(resource.urn ?? `urn:pulumi:stack::liftoff::${resource.type}::${resource.name}`);
  // JSON drops undefined members, which a protobuf Struct cannot hold.
  request.setProperties(Struct.fromJavaScript(JSON.parse(JSON.stringify(resource.props)) as Record<string, never>));
  const options = new analyzerproto.AnalyzerResourceOptions();
  options.setProtect(resource.protect ?? false);
  options.setAdditionalsecretoutputsList([...(resource.additionalSecretOutputs ?? [])]);
  if (resource.parent) options.setParent(resource.parent);
  request.setOptions(options);
  return request;
}

const ENFORCEMENT: Readonly<Record<number, Enforcement>> = {
  [analyzerproto.EnforcementLevel.ADVISORY]: "advisory",
  [analyzerproto.EnforcementLevel.MANDATORY]: "mandatory",
};

/** The runtime's diagnostics as violations; the runtime puts the policy's description first, dropped here. */
export function violationsOf(response: analyzerproto.AnalyzeResponse, urn: string): Violation[] {
  return response.getDiagnosticsList().map((d) => {
    const prefix = `${d.getDescription()}\n`;
    const message = d.getMessage();
    return {
      policy: d.getPolicyname(),
      enforcement: ENFORCEMENT[d.getEnforcementlevel()] ?? "advisory",
      resource: d.getUrn() || urn,
      message: message.startsWith(prefix) ? message.slice(prefix.length) : message,
    };
  });
}

type AnalyzeHandler = (
  call: { request: analyzerproto.AnalyzeRequest },
  callback: (err: unknown, response?: analyzerproto.AnalyzeResponse) => void,
) => void;
/* The handler the runtime's gRPC server registers for `analyze` (internal to @pulumi/policy, so untyped). */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { makeAnalyzeRpcFun } = require("@pulumi/policy/server") as {
  makeAnalyzeRpcFun(
    name: string,
    version: string,
    level: string,
    policies: readonly ResourceValidationPolicy[],
  ): AnalyzeHandler;
};

/** Analyzes resources with the runtime's request handler, as its server does for each engine call. */
export async function analyzeResources(
  policies: readonly ResourceValidationPolicy[],
  resources: readonly AnalyzedResource[],
): Promise<Violation[]> {
  const handler = makeAnalyzeRpcFun(PACK_NAME, "0.0.0", "advisory", policies);
  const results: Violation[] = [];
  for (const resource of resources) {
    const request = analyzeRequest(resource);
    const response = await new Promise<analyzerproto.AnalyzeResponse>((resolve, reject) =>
      handler({ request }, (err, res) =>
        err || !res ? reject(err instanceof Error ? err : new Error(String(err))) : resolve(res),
      ),
    );
    results.push(...violationsOf(response, request.getUrn()));
  }
  return results;
}

/** A planned resource's inputs with its secrets put back in wire form, as the engine would send them. */
export function plannedProps(resource: PlannedResource): Record<string, unknown> {
  const props = structuredClone(revealInputs(resource));
  for (const dotted of resource.secretPaths) {
    const keys = dotted
      .split(/\.|(?=\[)/)
      .map((part) => /^\[(\d+)\]$/.exec(part)?.[1] ?? part)
      .filter((k) => k !== "");
    const last = keys.pop();
    if (last === undefined) continue;
    let holder: unknown = props;
    for (const key of keys)
      holder = holder !== null && typeof holder === "object" ? (holder as Record<string, unknown>)[key] : undefined;
    if (holder !== null && typeof holder === "object" && last in holder) {
      const target = holder as Record<string, unknown>;
      target[last] = wireSecret(target[last]);
    }
  }
  return props;
}

export function analyzedFromPlan(resource: PlannedResource): AnalyzedResource {
  return {
    type: resource.type,
    name: resource.name,
    urn: resource.urn,
    props: plannedProps(resource),
    protect: resource.options.protect,
    additionalSecretOutputs: resource.options.additionalSecretOutputs,
    ...(resource.parent ? { parent: resource.parent } : {}),
  };
}

/** Checks only the offline plan can make: it sees which inputs and stack outputs are secret. */
export const OFFLINE_POLICIES = {
  inputs: { name: "secret-inputs-marked-secret", enforcement: "mandatory" },
  outputs: { name: "secret-stack-outputs-marked-secret", enforcement: "mandatory" },
} as const;

export function offlineSecretViolations(evaluation: Evaluation): Violation[] {
  const inputs = evaluation.resources.flatMap((resource) =>
    unmarkedSecretInputs({
      type: resource.type,
      name: resource.name,
      inputs: resource.inputs,
      secretPaths: resource.secretPaths,
      additionalSecretOutputs: resource.options.additionalSecretOutputs,
    }).map((message) => ({
      policy: OFFLINE_POLICIES.inputs.name,
      enforcement: OFFLINE_POLICIES.inputs.enforcement,
      resource: resource.urn,
      message,
    })),
  );
  const outputs = unmarkedSecretStackOutputs(evaluation.outputs).map((message) => ({
    policy: OFFLINE_POLICIES.outputs.name,
    enforcement: OFFLINE_POLICIES.outputs.enforcement,
    resource: "stack outputs",
    message,
  }));
  return [...inputs, ...outputs];
}

/** Every violation of the pack, and of the offline-only secret checks, in a stack's plan. */
export async function checkPlan(evaluation: Evaluation, facts: StackFacts): Promise<Violation[]> {
  if (evaluation.error)
    throw new Error(`the plan of stack ${evaluation.stack} failed, so no policy can judge it:\n${evaluation.error}`);
  const pack = await analyzeResources(liftoffPolicies(facts), evaluation.resources.map(analyzedFromPlan));
  return [...pack, ...offlineSecretViolations(evaluation)];
}

/** The enforcement of every policy, the pack's and the offline ones, by name. */
export const ENFORCEMENT_BY_POLICY: Readonly<Record<string, Enforcement>> = Object.fromEntries([
  ...POLICIES.map((p) => [p.name, p.enforcementLevel === "mandatory" ? "mandatory" : "advisory"] as const),
  ...Object.values(OFFLINE_POLICIES).map((p) => [p.name, p.enforcement] as const),
]);
