/**
 * The seam between the platform half of the `containerapps` runtime (this layer) and the release
 * half (components/containerapps, built in parallel against components/containerapps/contract.ts).
 * Until the release component lands, the apps are not declared: the hostnames are those Container
 * Apps gives an app named after its service (`<service>.<environment default domain>`) or the
 * endpoint's custom domain, so observability and the outputs can target them.
 */
import * as pulumi from "@pulumi/pulumi";
import type { ContainerAppsReleaseArgs, ContainerAppsReleaseOutputs } from "../components/containerapps/contract";

/** Public endpoint name -> the hostname it answers on: its custom domain, else its app's FQDN. */
export function predictedHostnames(args: Pick<ContainerAppsReleaseArgs, "app" | "customDomains">, defaultDomain: string): Record<string, string> {
  return Object.fromEntries(args.app.endpoints.map((e) => {
    const service = args.app.services.find((s) => s.public?.endpoint === e.name);
    return [e.name, args.customDomains?.[e.name] ?? `${service?.name ?? e.name}.${defaultDomain}`];
  }));
}

export function declareRelease(_name: string, args: ContainerAppsReleaseArgs): ContainerAppsReleaseOutputs {
  return {
    endpointHostnames: pulumi.output(args.foundation.defaultDomain).apply((domain) => predictedHostnames(args, domain)),
    liveRevisions: pulumi.output<Record<string, string>>({}),
  };
}
