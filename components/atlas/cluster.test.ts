import { describe, expect, it } from "vitest";
import { backupPolicy, hostCidr, mongoConnectionString, replicationSpecs } from "./cluster";

describe("Atlas cluster shape", () => {
  it("runs the free tier on shared hardware backed by Azure", () => {
    expect(replicationSpecs({ region: "EUROPE_WEST", instanceSize: "M0" })).toEqual([
      {
        regionConfigs: [
          {
            providerName: "TENANT",
            backingProviderName: "AZURE",
            regionName: "EUROPE_WEST",
            priority: 7,
            electableSpecs: { instanceSize: "M0" },
          },
        ],
      },
    ]);
  });

  it("runs a dedicated tier on Azure as a three-member replica set", () => {
    expect(replicationSpecs({ region: "GERMANY_WEST_CENTRAL", instanceSize: "M10" })).toEqual([
      {
        regionConfigs: [
          {
            providerName: "AZURE",
            regionName: "GERMANY_WEST_CENTRAL",
            priority: 7,
            electableSpecs: { instanceSize: "M10", nodeCount: 3 },
          },
        ],
      },
    ]);
  });

  it("keeps snapshots and the point-in-time window for the retention asked", () => {
    expect(backupPolicy(7)).toMatchObject({
      restoreWindowDays: 7,
      policyItemHourly: { frequencyInterval: 6, retentionUnit: "days", retentionValue: 7 },
      policyItemDaily: { frequencyInterval: 1, retentionUnit: "days", retentionValue: 7 },
      policyItemWeeklies: [{ retentionUnit: "weeks", retentionValue: 4 }],
    });
  });
});

describe("the Atlas access list entry", () => {
  it("is the host's address as a /32", () => {
    expect(hostCidr("198.51.100.10")).toBe("198.51.100.10/32");
  });

  it.each(["", "0.0.0.0", "0.0.0.0/0", "198.51.100.0/24", "2001:db8::1", "300.1.1.1"])(
    "refuses anything but one host address: %j",
    (ip) => {
      expect(() => hostCidr(ip)).toThrow(/public IPv4 address/);
    },
  );
});

describe("MongoDB connection strings", () => {
  const login = {
    standardSrv: "mongodb+srv://liftoff-prod.ab1cd.mongodb.net",
    username: "catalog",
    password: "s3cret",
    database: "catalog",
    appName: "liftoff-prod",
  };

  it("adds the service's credentials and database to Atlas's SRV string", () => {
    expect(mongoConnectionString(login)).toBe(
      "mongodb+srv://catalog:s3cret@liftoff-prod.ab1cd.mongodb.net/catalog?retryWrites=true&w=majority&authSource=admin&appName=liftoff-prod",
    );
  });

  it("percent-encodes credentials that would break the URI", () => {
    const uri = mongoConnectionString({ ...login, username: "cat@log", password: "p:w/d?#%@" });
    expect(uri).toContain("//cat%40log:p%3Aw%2Fd%3F%23%25%40@liftoff-prod.ab1cd.mongodb.net/");
  });

  it("refuses a string that is not Atlas's SRV form, or already carries credentials", () => {
    expect(() => mongoConnectionString({ ...login, standardSrv: "mongodb://host:27017" })).toThrow(/SRV/);
    expect(() => mongoConnectionString({ ...login, standardSrv: "mongodb+srv://u:p@host" })).toThrow(/SRV/);
  });
});
