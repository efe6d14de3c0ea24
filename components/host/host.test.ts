import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { byType, input, one, runComponent } from "../../test/harness";
import { Host, type HostArgs } from ".";

const KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExampleKeyExampleKeyExampleKeyExampleKey ops";

function declare(overrides: Partial<HostArgs> = {}) {
  return runComponent(() => {
    const host = new Host("host", {
      resourceGroupName: "rg-test",
      location: "westeurope",
      namePrefix: "liftoff-test",
      tags: { environment: "test" },
      subnetId: "/subscriptions/x/subnets/hosts",
      publicIpId: "/subscriptions/x/publicIPAddresses/ip",
      vmSize: "Standard_B2s",
      osDisk: { sizeGb: 64, type: "StandardSSD_LRS" },
      adminUser: "ops",
      sshPublicKey: KEY,
      cloudInit: { deployUser: "deploy", deployAuthorizedKeys: [KEY], sshPort: 22, releaseRoot: "/srv/liftoff" },
      ...overrides,
    });
    return { vmName: host.vmName, privateIp: host.privateIpAddress, vmId: host.vmId };
  });
}

describe("Host component", () => {
  it("runs Ubuntu 24.04 LTS with SSH keys only", async () => {
    const vm = one(await declare(), "azure-native:compute:VirtualMachine");
    expect(input(vm, "storageProfile.imageReference")).toMatchObject({
      publisher: "Canonical",
      offer: "ubuntu-24_04-lts",
      sku: "server",
    });
    expect(input(vm, "osProfile.linuxConfiguration.disablePasswordAuthentication")).toBe(true);
    expect(input(vm, "osProfile.adminPassword")).toBeUndefined();
    expect(input(vm, "osProfile.linuxConfiguration.ssh.publicKeys")).toEqual([
      { path: "/home/ops/.ssh/authorized_keys", keyData: KEY },
    ]);
  });

  it("uses a managed OS disk of the given size and type, on the NIC with the public IP", async () => {
    const plan = await declare();
    const vm = one(plan, "azure-native:compute:VirtualMachine");
    const nic = one(plan, "azure-native:network:NetworkInterface");
    expect(input(vm, "storageProfile.osDisk")).toMatchObject({
      diskSizeGB: 64,
      managedDisk: { storageAccountType: "StandardSSD_LRS" },
      createOption: "FromImage",
    });
    expect(input(vm, "networkProfile.networkInterfaces[0].id")).toBe(nic.id);
    expect(input(nic, "ipConfigurations[0].publicIPAddress.id")).toBe("/subscriptions/x/publicIPAddresses/ip");
    expect(plan.outputs["privateIp"]!.value).toBe("10.42.1.4");
  });

  it("boots with the rendered cloud-init, and is replaced (not updated) when it changes", async () => {
    const vm = one(await declare(), "azure-native:compute:VirtualMachine");
    const text = Buffer.from(String(input(vm, "osProfile.customData")), "base64").toString("utf8");
    expect(text.startsWith("#cloud-config")).toBe(true);
    expect(JSON.stringify(parse(text))).toContain(KEY);
    expect(vm.options.replaceOnChanges).toEqual(["osProfile.customData"]);
    expect(vm.options.deleteBeforeReplace).toBe(true);
  });

  it("names the host by its per-instance vmId, which a replacement changes, not by its ARM id, which it keeps", async () => {
    const before = await declare();
    const vm = one(before, "azure-native:compute:VirtualMachine");
    expect(before.outputs["vmId"]!.value).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(before.outputs["vmId"]!.value).not.toBe(vm.id);
    const replaced = await declare({
      cloudInit: { deployUser: "deploy", deployAuthorizedKeys: [KEY], sshPort: 2222, releaseRoot: "/srv/liftoff" },
    });
    expect(one(replaced, "azure-native:compute:VirtualMachine").id).toBe(vm.id);
    expect(replaced.outputs["vmId"]!.value).not.toBe(before.outputs["vmId"]!.value);
  });

  it("schedules a daily shutdown only when asked, under the name Azure requires", async () => {
    expect(byType(await declare(), "azure-native:devtestlab:GlobalSchedule")).toEqual([]);
    const plan = await declare({ autoShutdown: { time: "1900", timeZone: "UTC" } });
    const schedule = one(plan, "azure-native:devtestlab:GlobalSchedule");
    expect(schedule.inputs).toMatchObject({
      name: "shutdown-computevm-liftoff-test-vm",
      dailyRecurrence: { time: "1900" },
      timeZoneId: "UTC",
      taskType: "ComputeVmShutdownTask",
    });
    expect(input(schedule, "targetResourceId")).toBe(one(plan, "azure-native:compute:VirtualMachine").id);
  });

  it("protects the VM when asked, so a cloud-init change cannot silently replace it", async () => {
    expect(one(await declare(), "azure-native:compute:VirtualMachine").options.protect).toBe(false);
    expect(one(await declare({ protect: true }), "azure-native:compute:VirtualMachine").options.protect).toBe(true);
  });
});
