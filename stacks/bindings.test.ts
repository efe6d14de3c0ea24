import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { serviceBindings } from "../environments/compose/bindings";
import { runStack } from "../test/harness";
import type { ServiceBindings } from "./bindings";

interface Seen {
  value: string;
  secret: boolean;
}

/** The program's `bindings` export for a stack (evaluated once per stack): per service, each binding's value and whether it is secret. */
const runs = new Map<string, ReturnType<typeof evaluate>>();
function programBindings(stack: string): ReturnType<typeof evaluate> {
  if (!runs.has(stack)) runs.set(stack, evaluate(stack));
  return runs.get(stack)!;
}

async function evaluate(
  stack: string,
): Promise<{ plan: Awaited<ReturnType<typeof runStack>>; bindings: Record<string, Record<string, Seen>> }> {
  let pending: Promise<Record<string, Record<string, Seen>>> | undefined;
  const plan = await runStack(stack, {
    onExports: (exports) => {
      const all = exports["bindings"] as Record<string, ServiceBindings>;
      pending = Promise.all(
        Object.entries(all).map(
          async ([service, values]) =>
            [
              service,
              Object.fromEntries(
                await Promise.all(
                  Object.entries(values).map(async ([name, output]) => {
                    const [value, secret] = await Promise.all([
                      new Promise<string>((resolve) => output.apply(resolve)),
                      pulumi.isSecret(output),
                    ]);
                    return [name, { value, secret }] as const;
                  }),
                ),
              ),
            ] as const,
        ),
      ).then(Object.fromEntries);
    },
  });
  return { plan, bindings: await pending! };
}

describe.each(["dev", "prod"])("the %s program's bindings", (stack) => {
  it("gives orders its Postgres password as a secret, equal to the password inside its URL", async () => {
    const { plan, bindings } = await programBindings(stack);
    expect(plan.error).toBeUndefined();
    const orders = bindings["orders"]!;
    expect(orders["LIFTOFF_POSTGRES_PASSWORD"]!.secret).toBe(true);
    expect(orders["LIFTOFF_POSTGRES_URL"]!.secret).toBe(true);
    const url = new URL(orders["LIFTOFF_POSTGRES_URL"]!.value);
    expect(decodeURIComponent(url.password)).toBe(orders["LIFTOFF_POSTGRES_PASSWORD"]!.value);
    expect(url.hostname).toBe(orders["LIFTOFF_POSTGRES_HOST"]!.value);
    expect(decodeURIComponent(new URL(orders["LIFTOFF_POSTGRES_URL_DIRECT"]!.value).password)).toBe(
      orders["LIFTOFF_POSTGRES_PASSWORD"]!.value,
    );
    expect(orders["LIFTOFF_POSTGRES_HOST"]).toEqual({ value: expect.stringMatching(/-pooler\./), secret: false });
    expect(orders["LIFTOFF_POSTGRES_USER"]).toEqual({ value: "orders", secret: false });
  });

  it("gives every service exactly the catalogue's names, secret exactly where it says, and the stack output is secret", async () => {
    const { plan, bindings } = await programBindings(stack);
    expect(plan.outputs["bindings"]).toEqual({ value: "[secret]", secret: true });
    const fqdn = `liftoff-acme-${stack}.westeurope.cloudapp.azure.com`;
    for (const [service, values] of Object.entries(bindings)) {
      // The compose file's services, as the example app declares them (the collector gets none).
      const declared = {
        name: service,
        databases:
          service === "orders" || service === "identity-service"
            ? [{ kind: "postgres" as const }]
            : service === "catalog"
              ? [{ kind: "mongodb" as const }]
              : [],
      };
      const catalogue = serviceBindings(
        {
          endpoints: [
            { name: "api", port: 443 },
            { name: "identity", port: 8443 },
          ],
        },
        declared,
      );
      expect(Object.keys(values), service).toEqual(catalogue.map((b) => b.name));
      for (const b of catalogue) expect(values[b.name]!.secret, `${service} ${b.name}`).toBe(b.secret);
      expect(values["LIFTOFF_SERVICE"]!.value).toBe(service);
      expect(values["LIFTOFF_FQDN"]!.value).toBe(fqdn);
      expect(values["LIFTOFF_STACK"]!.value).toBe(stack);
      expect(values["LIFTOFF_ENDPOINT_API_URL"]!.value).toBe(`https://${fqdn}`);
      expect(values["LIFTOFF_ENDPOINT_IDENTITY_URL"]!.value).toBe(`https://${fqdn}:8443`);
    }
    expect(Object.keys(bindings).sort()).toEqual(["api-gateway", "broker", "catalog", "identity-service", "orders"]);
    expect(bindings["catalog"]!["LIFTOFF_MONGODB_HOST"]).toEqual({
      value: `liftoff-${stack}.plan0.mongodb.net`,
      secret: false,
    });
    expect(decodeURIComponent(new URL(bindings["catalog"]!["LIFTOFF_MONGODB_URL"]!.value).password)).toBe(
      bindings["catalog"]!["LIFTOFF_MONGODB_PASSWORD"]!.value,
    );
  });
});
