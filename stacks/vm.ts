import type { Environment } from "../environments/load";
import { dataLayer, type DataLayer } from "./data";
import { deployLayer, type DeployLayer } from "./deploy";
import { deliveryLayer, type DeliveryLayer } from "./delivery";
import { foundationLayer, type FoundationLayer } from "./foundation";
import { hostLayer, type HostLayer } from "./host";
import { observabilityLayer, type ObservabilityLayer } from "./observability";

/** The layers of a `liftoff:runtime: vm` stack. */
export interface VmStack {
  readonly foundation: FoundationLayer;
  readonly host: HostLayer;
  readonly data: DataLayer;
  readonly observability: ObservabilityLayer;
  readonly delivery: DeliveryLayer;
  readonly deploy: DeployLayer;
}

/** One VM: foundation, host, data, observability, delivery, and the release applied over SSH. */
export function vmStack(
  environment: Environment,
  host: { readonly sshAgentSocket?: string | undefined; readonly pinnedImages?: string | undefined },
): VmStack {
  // Each layer takes the environment and, by name, the layers it stands on, and returns a
  // read-only record of outputs.
  const foundation = foundationLayer(environment);
  const vm = hostLayer(environment, { foundation });
  // Neon and Atlas; Atlas lets in only foundation.network.publicIpAddress. `data.services` is what the
  // deploy layer hands each service (secrets).
  const data = dataLayer(environment, { foundation });
  const observability = observabilityLayer(environment);
  const delivery = deliveryLayer(environment, { foundation, observability, pinnedImages: host.pinnedImages });
  // Last, the release of the application on the host: every service with its databases and OTLP
  // settings, images by digest, the collector beside them.
  const deploy = deployLayer(environment, {
    foundation,
    host: vm,
    data,
    observability,
    delivery,
    sshAgentSocket: host.sshAgentSocket,
  });
  return { foundation, host: vm, data, observability, delivery, deploy };
}
