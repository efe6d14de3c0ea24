/**
 * The e2e tests' access to the local test host: the shared module tools/testing/ (also used by
 * `npm run bench:deploy`) plus the suite's figures report. Each case brings the host to the state
 * it needs through {@link TestHost.ensureLive}, so any case runs alone (`vitest run -t '<case>'`).
 */
export * from "../../tools/testing/testhost";
export * from "../../tools/testing/load";
export * from "../../tools/testing/example-system";

// ---------------------------------------------------------------------------------------------
// report

export interface ScenarioFigures {
  scenario: string;
  exitCode: number;
  wallSeconds: number;
  load?: { url: string; requests: number; failed: number; rps: number }[];
  note?: string;
}

export const report: ScenarioFigures[] = [];

export function renderReport(figures: readonly ScenarioFigures[]): string {
  const lines = [
    "",
    "liftoff-release e2e figures",
    "scenario".padEnd(56) + "exit  wall s  load (requests / failed per endpoint)",
  ];
  for (const f of figures) {
    const load = (f.load ?? [])
      .map((l) => `${l.url.replace("http://127.0.0.1:", ":")} ${l.requests}/${l.failed}`)
      .join("  ");
    lines.push(
      `${f.scenario.padEnd(56)}${String(f.exitCode).padEnd(6)}${f.wallSeconds.toFixed(2).padStart(6)}  ${load || "-"}${f.note ? `  (${f.note})` : ""}`,
    );
  }
  return lines.join("\n");
}
