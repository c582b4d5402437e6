// What networks.create() takes, besides the driver: declared here so that
// the drivers read it without importing networks.ts.
export interface DriverCreateInput {
  name: string;
  /** --subnet; omitted: a free subnet from the address pools (bridge). */
  subnet?: string;
  gateway?: string;
  ipRange?: string;
  /** --aux-address NAME=IP: addresses of the subnets that sandboxes never get. */
  auxAddresses?: Record<string, string>;
  /** --ipv6 with an IPv6 --subnet. */
  ipv6?: { subnet: string; gateway?: string };
  /** --internal: no route to or from anything outside the network. */
  internal?: boolean;
  /** Inter-container traffic on the bridge (default true). */
  icc?: boolean;
  /** Masquerade outbound traffic (default true). */
  masquerade?: boolean;
  mtu?: number;
  /** The bridge's name (default np-<short id>). */
  bridge?: string;
  /** Default host address of published ports. */
  hostBinding?: string;
  labels?: Record<string, string>;
  /** Docker's --opt keys (com.docker.network.bridge.name, .enable_icc, .enable_ip_masquerade, .host_binding_ipv4, com.docker.network.driver.mtu; a driver's own). */
  options?: Record<string, string>;
}
