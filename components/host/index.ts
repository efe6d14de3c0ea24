import * as compute from "@pulumi/azure-native/compute";
import * as devtestlab from "@pulumi/azure-native/devtestlab";
import * as network from "@pulumi/azure-native/network";
import * as pulumi from "@pulumi/pulumi";
import { renderCloudInit, type CloudInitInput } from "./cloud-init";
import { vmName as vmNameFor } from "./names";

export { renderCloudInit, cloudInitDigest, bootstrapScript, type CloudInitInput } from "./cloud-init";
export { vmName } from "./names";

/** Ubuntu 24.04 LTS, Gen2 (needed for Trusted Launch), newest patch level at creation. */
export const UBUNTU_2404 = {
  publisher: "Canonical",
  offer: "ubuntu-24_04-lts",
  sku: "server",
  version: "latest",
} as const;

export interface HostArgs {
  readonly resourceGroupName: pulumi.Input<string>;
  readonly location: string;
  readonly namePrefix: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly subnetId: pulumi.Input<string>;
  readonly publicIpId: pulumi.Input<string>;
  readonly vmSize: string;
  readonly osDisk: { readonly sizeGb: number; readonly type: string };
  /** Sudo-capable admin user Azure creates; logs in with `sshPublicKey` only. */
  readonly adminUser: string;
  readonly sshPublicKey: pulumi.Input<string>;
  /** The cloud-init document's inputs; `deployAuthorizedKeys` may be an Output (a generated key). */
  readonly cloudInit: Omit<CloudInitInput, "deployAuthorizedKeys"> & {
    readonly deployAuthorizedKeys: pulumi.Input<string>[];
  };
  /** Daily shutdown (`HHmm` in a Windows time zone); absent: runs around the clock. */
  readonly autoShutdown?: { readonly time: string; readonly timeZone: string };
  /**
   * Protect the VM (default false). A protected VM cannot be replaced, so a change to its
   * cloud-init stops `pulumi up` until an operator deliberately unprotects it.
   */
  readonly protect?: boolean;
}

/** The single Linux host: NIC, Ubuntu 24.04 VM with SSH keys only, and its shutdown schedule. */
export class Host extends pulumi.ComponentResource {
  /**
   * The VM's unique id (Azure's `vmId`, a UUID stored in its SMBIOS): a new VM has a new one, even
   * under the same name. What "this host" means to the deploy layer's triggers; the ARM resource id
   * (`/subscriptions/.../virtualMachines/<name>`) stays the same across a replacement.
   */
  public readonly vmId: pulumi.Output<string>;
  public readonly vmName: pulumi.Output<string>;
  public readonly privateIpAddress: pulumi.Output<string>;
  /** The rendered cloud-init document (not secret: it carries public keys only). */
  public readonly cloudInit: pulumi.Output<string>;

  constructor(name: string, args: HostArgs, opts?: pulumi.ComponentResourceOptions) {
    super("liftoff:host:Host", name, {}, opts);
    const child = { parent: this };
    const common = { resourceGroupName: args.resourceGroupName, location: args.location, tags: { ...args.tags } };
    const vmName = vmNameFor(args.namePrefix);

    const nic = new network.NetworkInterface(
      `${name}-nic`,
      {
        ...common,
        networkInterfaceName: `${args.namePrefix}-nic`,
        ipConfigurations: [
          {
            name: "primary",
            primary: true,
            subnet: { id: args.subnetId },
            publicIPAddress: { id: args.publicIpId },
            privateIPAllocationMethod: "Dynamic",
          },
        ],
      },
      child,
    );

    const cloudInit = pulumi
      .all(args.cloudInit.deployAuthorizedKeys)
      .apply((keys) => renderCloudInit({ ...args.cloudInit, deployAuthorizedKeys: keys.map((k) => k.trim()) }));

    const vm = new compute.VirtualMachine(
      `${name}-vm`,
      {
        ...common,
        vmName,
        hardwareProfile: { vmSize: args.vmSize },
        storageProfile: {
          imageReference: { ...UBUNTU_2404 },
          osDisk: {
            name: `${args.namePrefix}-osdisk`,
            createOption: "FromImage",
            caching: "ReadWrite",
            diskSizeGB: args.osDisk.sizeGb,
            managedDisk: { storageAccountType: args.osDisk.type },
            deleteOption: "Delete",
          },
        },
        osProfile: {
          computerName: vmName,
          adminUsername: args.adminUser,
          customData: cloudInit.apply((text) => Buffer.from(text, "utf8").toString("base64")),
          linuxConfiguration: {
            disablePasswordAuthentication: true,
            provisionVMAgent: true,
            ssh: { publicKeys: [{ path: `/home/${args.adminUser}/.ssh/authorized_keys`, keyData: args.sshPublicKey }] },
            patchSettings: { patchMode: "ImageDefault", assessmentMode: "ImageDefault" },
          },
        },
        networkProfile: { networkInterfaces: [{ id: nic.id, primary: true, deleteOption: "Detach" }] },
        securityProfile: {
          securityType: "TrustedLaunch",
          uefiSettings: { secureBootEnabled: true, vTpmEnabled: true },
        },
        diagnosticsProfile: { bootDiagnostics: { enabled: true } },
      },
      {
        ...child,
        protect: args.protect ?? false,
        // Azure refuses to change customData on an existing VM, so a new cloud-init means a new VM:
        // the engine deletes the old one first (the NIC and the OS disk name are reused), keeps the
        // static public IP, and the deploy layer re-applies the live release on the new host.
        // Accessory data on the OS disk does not survive that; keep cloud-init stable.
        replaceOnChanges: ["osProfile.customData"],
        deleteBeforeReplace: true,
      },
    );

    if (args.autoShutdown) {
      new devtestlab.GlobalSchedule(
        `${name}-shutdown`,
        {
          ...common,
          // Azure only attaches a VM's auto-shutdown schedule under exactly this name.
          name: `shutdown-computevm-${vmName}`,
          status: "Enabled",
          taskType: "ComputeVmShutdownTask",
          dailyRecurrence: { time: args.autoShutdown.time },
          timeZoneId: args.autoShutdown.timeZone,
          targetResourceId: vm.id,
          notificationSettings: { status: "Disabled", timeInMinutes: 30 },
        },
        child,
      );
    }

    this.vmId = vm.vmId;
    this.vmName = vm.name;
    this.privateIpAddress = nic.ipConfigurations.apply((configs) => configs?.[0]?.privateIPAddress ?? "");
    this.cloudInit = cloudInit;
    this.registerOutputs({
      vmId: this.vmId,
      vmName: this.vmName,
      privateIpAddress: this.privateIpAddress,
      cloudInit: this.cloudInit,
    });
  }
}
