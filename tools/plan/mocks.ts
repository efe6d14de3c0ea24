import type * as pulumi from "@pulumi/pulumi";

/**
 * What the providers would compute for the resources liftoff declares: ids, names, addresses.
 * Values are obviously fake (documentation address ranges, an all-zero subscription) so nothing in
 * a plan can be mistaken for a real environment.
 */
export const PLAN_SUBSCRIPTION = "00000000-0000-0000-0000-000000000000";
export const PLAN_PUBLIC_IP = "198.51.100.10";
export const PLAN_PRIVATE_IP = "10.42.1.4";

/** The input that carries an Azure resource's own name, per resource type. */
const AZURE_NAME_INPUT: Readonly<Record<string, string>> = {
  "azure-native:resources:ResourceGroup": "resourceGroupName",
  "azure-native:network:VirtualNetwork": "virtualNetworkName",
  "azure-native:network:Subnet": "subnetName",
  "azure-native:network:NetworkSecurityGroup": "networkSecurityGroupName",
  "azure-native:network:PublicIPAddress": "publicIpAddressName",
  "azure-native:network:NetworkInterface": "networkInterfaceName",
  "azure-native:compute:VirtualMachine": "vmName",
  "azure-native:devtestlab:GlobalSchedule": "name",
};

type State = Record<string, unknown>;

/** Provider-computed outputs for one resource, merged over its inputs. */
export function computedState(args: pulumi.runtime.MockResourceArgs): { id: string; state: State } {
  const inputs = args.inputs as State;
  const plain = (key: string) => unwrapSecret(inputs[key]);
  if (args.type.startsWith("azure-native:")) {
    const nameKey = AZURE_NAME_INPUT[args.type];
    const name = String((nameKey && plain(nameKey)) ?? args.name);
    const [, module, kind] = args.type.split(":");
    const group = args.type === "azure-native:resources:ResourceGroup" ? name : String(plain("resourceGroupName") ?? "rg");
    const id = args.type === "azure-native:resources:ResourceGroup"
      ? `/subscriptions/${PLAN_SUBSCRIPTION}/resourceGroups/${name}`
      : `/subscriptions/${PLAN_SUBSCRIPTION}/resourceGroups/${group}/providers/Microsoft.${module}/${kind}/${name}`;
    const state: State = { ...inputs, name, id };
    if (args.type === "azure-native:network:PublicIPAddress") {
      const dns = plain("dnsSettings") as { domainNameLabel?: string } | undefined;
      state["ipAddress"] = PLAN_PUBLIC_IP;
      state["dnsSettings"] = { ...dns, fqdn: `${dns?.domainNameLabel}.${String(plain("location"))}.cloudapp.azure.com` };
    }
    if (args.type === "azure-native:network:NetworkInterface") {
      const configs = (plain("ipConfigurations") as State[] | undefined) ?? [];
      state["ipConfigurations"] = configs.map((c, i) => ({ ...c, privateIPAddress: i === 0 ? PLAN_PRIVATE_IP : undefined }));
    }
    return { id, state };
  }
  if (args.type === "tls:index/privateKey:PrivateKey") {
    return {
      id: `${args.name}-id`,
      state: {
        ...inputs,
        publicKeyOpenssh: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPLANPLANPLANPLANPLANPLANPLANPLANPLANPLANPLAN liftoff-plan\n",
        privateKeyOpenssh: "-----BEGIN OPENSSH PRIVATE KEY-----\nplan-placeholder\n-----END OPENSSH PRIVATE KEY-----\n",
        privateKeyPem: "-----BEGIN PRIVATE KEY-----\nplan-placeholder\n-----END PRIVATE KEY-----\n",
      },
    };
  }
  return { id: `${args.name}-id`, state: { ...inputs } };
}

const SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

/** True for the wire form of a secret value as the mock monitor receives it. */
export function isWireSecret(value: unknown): value is { value: unknown } {
  return value !== null && typeof value === "object" && (value as Record<string, unknown>)[SECRET_SIG_KEY] === SECRET_SIG;
}

export function unwrapSecret(value: unknown): unknown {
  return isWireSecret(value) ? value.value : value;
}
