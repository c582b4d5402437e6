// netplumb/testing: labs for integration tests — a world of namespaces per
// test (a host, an outside, sandboxes on networks), processes and fetch
// inside them, faults to inject, and everything taken down afterwards.
export { Lab, type LabOptions, type LabNetworkOptions, type LabSandboxOptions } from './lab.js';
export { LabNode, type ExecOptions, type ExecResult, type SpawnOptions } from './node.js';
export { LabSandbox, type Impairment } from './sandbox.js';
export { LabHost } from './host.js';
export { LabOutside, type OutsideOptions } from './outside.js';
export type { LabFetchInit } from './fetch.js';
export { canBuildLabs } from './privileges.js';
export { FeatureUnavailableError, SandboxRequiredError, MissingToolError } from '../core/errors.js';
