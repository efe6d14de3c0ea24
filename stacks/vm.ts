import type { Environment } from "../environments/load";
import type { EnvironmentSpec } from "../environments/spec";
import { dataLayer, type DataLayer } from "./data";
import { deployLayer, type DeployLayer } from "./deploy";
import { deliveryLayer, type DeliveryLayer } from "./delivery";
import { foundationLayer, type Foundation } from "./foundation";
import { hostLayer } from "./host";
import { observabilityLayer, type ObservabilityLayer } from "./observability";
import type { Host } from "../components/host";

/** The layers of a `liftoff:runtime: vm` stack. */
export interface VmStack {
  readonly foundation: Foundation;
  readonly host: Host;
  readonly data: DataLayer;
  readonly observability: ObservabilityLayer;
  readonly delivery: DeliveryLayer;
  readonly deploy: DeployLayer;
}

/** One VM: foundation, host, data, observability, delivery, and the release applied over SSH. */
export function vmStack(spec: EnvironmentSpec, environment: Environment): VmStack {
  const foundation = foundationLayer(spec);
  const host = hostLayer(spec, foundation);
  // Neon and Atlas; Atlas lets in only foundation.network.publicIpAddress. `data.services` is what the
  // deploy layer hands each service (secrets).
  const data = dataLayer(spec, foundation, environment);
  const observability = observabilityLayer(spec, environment);
  const delivery = deliveryLayer(spec, environment, foundation, observability);
  // Last, the release of the application on the host: every service with its databases and OTLP
  // settings, images by digest, the collector beside them.
  const deploy = deployLayer(spec, foundation, host, data, observability, delivery);
  return { foundation, host, data, observability, delivery, deploy };
}
