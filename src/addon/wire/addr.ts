// Addresses as the addon reports them (RTM_NEWADDR/DELADDR parsed by the core).
import type { IpFamily } from '../../core/validate.js';

export type AddressScope = 'global' | 'site' | 'link' | 'host' | 'nowhere' | number;
/** Seconds, or 'forever' (the kernel's infinite lifetime). */
export type Lifetime = number | 'forever';

export interface AddressFlags {
  secondary: boolean;
  nodad: boolean;
  optimistic: boolean;
  dadfailed: boolean;
  homeAddress: boolean;
  deprecated: boolean;
  tentative: boolean;
  permanent: boolean;
  managetempaddr: boolean;
  noprefixroute: boolean;
  mcautojoin: boolean;
  stablePrivacy: boolean;
}

/** An address as the kernel reports it, in a list and in events. */
export interface Address {
  kind: 'address';
  action: 'new' | 'del';
  family: IpFamily;
  /** ifindex of the interface. */
  index: number;
  address: string;
  prefixLength: number;
  cidr: string;
  scope: AddressScope;
  label?: string;
  flags: AddressFlags;
  /** IFA_LOCAL when the kernel sent it (IPv4, or IPv6 with a peer). */
  local?: string;
  /** The far end of a point-to-point address. */
  peer?: string;
  broadcast?: string;
  validLifetime?: Lifetime;
  preferredLifetime?: Lifetime;
}
