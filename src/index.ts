// Public API of netplumb.
export * from './errors.js';
export { Netns, netnsCalls, DEFAULT_NETNS_DIR, type CreateNetnsOptions, type NetnsTarget } from './netns.js';
export { Plan, PlanRef } from './plan.js';
export type { Call, NativeNetns } from './native.js';
export { Sysctl, sysctlCalls, type SysctlValue } from './sysctl.js';
export { listenTcp, connectTcp, bindUdp, type ListenOptions, type ConnectOptions, type UdpOptions } from './sockets.js';
export { EventStream, type OverrunEvent } from './events.js';
export * as validate from './validate.js';
