// Queueing disciplines as the addon reports them (RTM_NEWQDISC/DELQDISC parsed
// by the core). netem and tbf options come back in the shape qdisc.replace takes.

/** netem: delay with jitter, loss, and a rate, on the interface's way out. */
export interface NetemOptions {
  latencyNs?: number;
  jitterNs?: number;
  /** 0-100. */
  lossPercent?: number;
  /** Packets queued (default 1000, as tc). */
  limit?: number;
  /** Bytes per second. */
  rate?: number;
}

/** tbf: a token bucket limiting the interface's way out to `rate`. */
export interface TbfOptions {
  /** Bytes per second. */
  rate: number;
  /** Bucket size in bytes (default rate/10, at least 1600). */
  burst?: number;
  /** Bytes waiting for tokens before drops (default twice the burst). */
  limit?: number;
}

export interface Qdisc {
  kind: 'qdisc';
  action: 'new' | 'del';
  /** ifindex of the interface. */
  index: number;
  /** As tc prints it: "8001:". */
  handle: string;
  /** "root", "ingress" or a class ("1:2"). */
  parent: string;
  /** The qdisc's kind as the kernel names it: noqueue, pfifo_fast, netem, tbf, ... */
  type: string;
  netem?: Required<Omit<NetemOptions, 'rate'>> & Pick<NetemOptions, 'rate'>;
  tbf?: Required<TbfOptions>;
}
