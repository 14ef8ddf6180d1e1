import type { Tally } from "./load/worker.js";
import { wasMeasured, type BenchResults } from "./results.js";

function check(problems: string[], what: string, complete: boolean, delivery: Tally, expectedPerClient: number): void {
  const expected = delivery.clients * expectedPerClient;
  if (!complete) problems.push(`${what}: not every client had every event in time`);
  if (delivery.errors > 0) problems.push(`${what}: ${delivery.errors} events out of order, repeated or unexpected`);
  if (delivery.received !== expected) problems.push(`${what}: ${delivery.received} events received, expected ${expected}`);
  if (delivery.exact !== delivery.clients) {
    problems.push(`${what}: ${delivery.clients - delivery.exact} of ${delivery.clients} clients missed or repeated events`);
  }
}

/**
 * Every way a run failed to deliver each event exactly once to each reading
 * client, in words; empty when all is well. Timing plays no part.
 */
export function deliveryProblems(results: BenchResults): string[] {
  const problems: string[] = [];
  for (const run of (results.fanout ?? []).filter(wasMeasured)) {
    run.passes.forEach((pass, i) =>
      check(problems, `fan-out ${run.clients}, ${run.contender}, pass ${i + 1}`, pass.complete, pass.delivery, pass.expectedPerClient),
    );
  }
  for (const run of results["scale-out"] ?? []) {
    run.passes.forEach((pass, i) =>
      check(problems, `scale-out over ${run.instances}, ${run.contender}, pass ${i + 1}`, pass.complete, pass.delivery, pass.expectedPerClient),
    );
  }
  for (const run of results.targeted ?? []) {
    run.passes.forEach((pass, i) => {
      const what = `targeted ${run.clients}, ${run.contender}, pass ${i + 1}`;
      check(problems, `${what}, to one user`, pass.toUser.complete, pass.toUser.delivery, pass.toUser.expectedPerClient);
      check(problems, `${what}, to news`, pass.toNews.complete, pass.toNews.delivery, pass.toNews.expectedPerClient);
    });
  }
  for (const run of results.steady ?? []) {
    check(problems, `steady, ${run.contender}`, run.complete, run.delivery, run.expectedPerClient);
    const samples = run.clients * run.measuredEvents * run.passes;
    if (run.samples !== samples) problems.push(`steady, ${run.contender}: ${run.samples} latency samples, expected ${samples}`);
  }
  for (const run of results["slow-reader"] ?? []) {
    for (const [label, half] of [["without", run.without], ["with", run.with]] as const) {
      check(problems, `slow reader (${label} the stalled client), ${run.contender}`, half.complete, half.delivery, half.expectedPerClient);
    }
  }
  for (const run of (results.memory ?? []).filter(wasMeasured)) {
    if (!(run.loaded.rss > 0)) problems.push(`memory ${run.streams}, ${run.contender}: no measurement`);
  }
  for (const run of results.churn ?? []) {
    if (run.cycles === 0) problems.push(`churn, ${run.contender}: no stream opened`);
    if (run.failures > 0) problems.push(`churn, ${run.contender}: ${run.failures} streams failed to open`);
    if (run.leftOpen > 0) problems.push(`churn, ${run.contender}: ${run.leftOpen} streams never released`);
  }
  for (const run of results["import-cost"]?.packages ?? []) {
    if (run.files === 0) problems.push(`import cost, ${run.package}: no module file seen loading`);
  }
  return problems;
}
