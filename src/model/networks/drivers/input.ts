// What a driver reads of networks.create()'s options.
/** The parts of NetworkCreateOptions a driver reads (declared here, so drivers do not import networks.ts). */
export interface DriverCreateInput {
  name: string;
  subnet?: string;
  gateway?: string;
  ipRange?: string;
  ipv6?: { subnet: string; gateway?: string };
  internal?: boolean;
  icc?: boolean;
  masquerade?: boolean;
  mtu?: number;
  bridge?: string;
  hostBinding?: string;
  labels?: Record<string, string>;
  options?: Record<string, string>;
}
