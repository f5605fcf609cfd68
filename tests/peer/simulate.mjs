// Runs @cloud-copilot/iam-simulate on a batch of simulations: one process per batch.
//
// stdin:  {"simulations": [<Simulation>, ...], "mode": "Strict"}   (the package's own Simulation input)
// stdout: {"version": "<package version>", "results": [{"result": "Allowed" | "ImplicitlyDenied" |
//          "ExplicitlyDenied" | null, "blockedBy": [...], "error": null | {...}}, ...]}  (same order)
//
// Used by tests/policy/peer_scenarios.py; the translation of graphiam's scenarios happens there.
import { readFileSync } from 'node:fs'
import { runSimulation } from '@cloud-copilot/iam-simulate'

const packageJson = new URL('./node_modules/@cloud-copilot/iam-simulate/package.json', import.meta.url)
const { version } = JSON.parse(readFileSync(packageJson, 'utf8'))

function summarize(response) {
  if (response.resultType === 'error') {
    return { result: null, blockedBy: [], error: response.errors }
  }
  const analyses =
    response.resultType === 'single' ? [response.result.analysis] : response.results.map((r) => r.analysis)
  const blockedBy = [...new Set(analyses.flatMap((a) => a?.blockedBy ?? []))]
  return { result: response.overallResult, blockedBy, error: null }
}

const input = JSON.parse(readFileSync(0, 'utf8'))
const mode = input.mode ?? 'Strict'
const results = []
for (const simulation of input.simulations) {
  try {
    results.push(summarize(await runSimulation(simulation, { simulationMode: mode })))
  } catch (err) {
    results.push({ result: null, blockedBy: [], error: { message: 'exception', detail: String(err?.stack ?? err) } })
  }
}
process.stdout.write(JSON.stringify({ version, results }))
