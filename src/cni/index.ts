// netplumb as a CNI plugin (spec 1.0.0 and 1.1.0): runCni answers one
// request; the native shim forwards requests to netplumbd, which serves
// runCni, or runs main.ts when no daemon answers; install.ts puts the shim
// and a conflist where a runtime finds them.
export { runCni, type CniRequest, type CniResponse, type CniEngine } from './run.js';
export { SUPPORTED_VERSIONS, CODE as CNI_CODES, type CniResult, type CniErrorResult, type CniVersion } from './spec.js';
