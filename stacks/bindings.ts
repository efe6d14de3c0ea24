/**
 * Each service's bindings as Pulumi values: the pure values of stacks/binding-values.ts, computed
 * from the data and observability layers' outputs, each marked secret exactly when the catalogue
 * (environments/compose/bindings.ts) says so.
 */
import * as pulumi from "@pulumi/pulumi";
import { serviceBindings } from "../environments/compose/bindings";
import type { AppDefinition, AppService } from "../environments/compose/model";
import { bindingValues } from "./binding-values";
import type { ServiceDatabases } from "./data";

/** One service's bindings, name → value; secret ones are Pulumi secrets. */
export type ServiceBindings = Readonly<Record<string, pulumi.Output<string>>>;

/** What bindings are made of, as the layers before the deploy layer give it. */
export interface BindingSources {
  readonly stack: string;
  readonly fqdn: string;
  readonly otlp: { readonly endpoint: pulumi.Output<string>; readonly headers: pulumi.Output<string> };
  /** Per service with a database: its logins (the data layer's `services`). */
  readonly databases: Readonly<Record<string, ServiceDatabases>>;
}

/** `service`'s bindings: every name `serviceBindings` lists for it, no other. */
export function serviceBindingOutputs(
  app: Pick<AppDefinition, "endpoints">,
  service: Pick<AppService, "name" | "databases">,
  sources: BindingSources,
): ServiceBindings {
  const databases = sources.databases[service.name];
  // One computation per service; each binding is then a view of it with its own secrecy.
  const values = pulumi
    .all([sources.otlp.endpoint, sources.otlp.headers, databases?.postgres?.login, databases?.mongodb?.login])
    .apply(([endpoint, headers, postgres, mongodb]) =>
      bindingValues(app, service, {
        stack: sources.stack,
        fqdn: sources.fqdn,
        otlp: { endpoint, headers },
        ...(postgres ? { postgres } : {}),
        ...(mongodb ? { mongodb } : {}),
      }),
    );
  return Object.fromEntries(
    serviceBindings(app, service).map((b) => {
      const value = values.apply((v) => v[b.name]!);
      // The computation holds secrets (passwords, the OTLP token); a binding the catalogue calls
      // public (a host, a name, a port) is derived from public parts only, so it is shown as such.
      return [b.name, b.secret ? pulumi.secret(value) : pulumi.unsecret(value)];
    }),
  );
}

/** Every service's bindings, by service name. */
export function applicationBindings(
  app: Pick<AppDefinition, "endpoints">,
  services: readonly Pick<AppService, "name" | "databases">[],
  sources: BindingSources,
): Record<string, ServiceBindings> {
  return Object.fromEntries(services.map((s) => [s.name, serviceBindingOutputs(app, s, sources)]));
}

/**
 * The bindings as the release renderer takes them: service → name → value, as one secret (it
 * holds every service's credentials; the renderer keeps them to the 0600 env files).
 */
export function resolvedBindings(
  bindings: Readonly<Record<string, ServiceBindings>>,
): pulumi.Output<Record<string, Record<string, string>>> {
  return pulumi.secret(pulumi.output(bindings) as pulumi.Output<Record<string, Record<string, string>>>);
}
