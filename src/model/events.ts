// What changed, as it happens: networks made and removed, sandboxes, their
// endpoints and published ports, and the firewall rebuilt. An engine emits
// the changes it makes itself (a daemon's engine therefore sees every
// client's); engine.events() hands them out as an async iterator, and the
// daemon serves the same stream to Engine.connect and to Docker's /events.
import type { EndpointRecord, NetworkRecord, PublishedPort, SandboxRecord } from './state/records.js';

export interface ObjectRef {
  id: string;
  name: string;
}

interface Stamped {
  /** When it happened: ms since the epoch, with sub-ms digits. */
  time: number;
}

export interface NetworkEvent extends Stamped {
  type: 'network';
  action: 'create' | 'remove';
  network: ObjectRef & { driver: string };
}

export interface SandboxEvent extends Stamped {
  type: 'sandbox';
  action: 'create' | 'remove';
  sandbox: ObjectRef;
}

export interface EndpointEvent extends Stamped {
  type: 'endpoint';
  action: 'create' | 'remove';
  sandbox: ObjectRef;
  network: ObjectRef;
  endpoint: { id: string; ifname: string; mac: string; ipv4: string; ipv6?: string };
}

export interface PortEvent extends Stamped {
  type: 'port';
  action: 'publish' | 'unpublish';
  sandbox: ObjectRef;
  endpointId: string;
  port: PublishedPort;
}

export interface FirewallEvent extends Stamped {
  type: 'firewall';
  /** repair: put back after someone else removed it; rebuild: remade from the records by reconcile(). */
  action: 'repair' | 'rebuild';
}

export type ModelEvent = NetworkEvent | SandboxEvent | EndpointEvent | PortEvent | FirewallEvent;

type Unstamped<E> = E extends ModelEvent ? Omit<E, 'time'> : never;

/** An async iterator over events; stop it with close() (or `break` out of `for await`). */
export interface EventSubscription<E> extends AsyncIterableIterator<E> {
  /** Resolves once events are being collected (at once in-process; once the daemon took the subscription over a socket). */
  readonly ready: Promise<void>;
  close(): void;
}

/** A queue fed by push(), read by `for await`; ends at close(). */
export class EventQueue<E> implements EventSubscription<E> {
  private readonly queue: E[] = [];
  private readonly waiters: ((r: IteratorResult<E>) => void)[] = [];
  private closed = false;
  ready: Promise<void> = Promise.resolve();

  constructor(private readonly onClose: () => void = () => undefined) {}

  push(e: E): void {
    if (this.closed) return;
    const w = this.waiters.shift();
    if (w) w({ value: e, done: false });
    else this.queue.push(e);
  }

  next(): Promise<IteratorResult<E>> {
    if (this.queue.length > 0) return Promise.resolve({ value: this.queue.shift() as E, done: false });
    if (this.closed) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  return(): Promise<IteratorResult<E>> {
    this.close();
    return Promise.resolve({ value: undefined, done: true });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.onClose();
    for (const w of this.waiters.splice(0)) w({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}

/** Where an engine's parts report changes. */
export class ModelEvents {
  private readonly listeners = new Set<(e: ModelEvent) => void>();

  emit(e: Unstamped<ModelEvent>): void {
    if (this.listeners.size === 0) return;
    const event = { ...e, time: performance.timeOrigin + performance.now() } as ModelEvent;
    for (const l of this.listeners) l(event);
  }

  /** Whether anyone listens (so that callers skip reading what only an event would need). */
  get listening(): boolean {
    return this.listeners.size > 0;
  }

  /** Calls `listener` for every event from now on; returns the unsubscribe. */
  on(listener: (e: ModelEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Every event from now on, until close(). */
  subscribe(): EventSubscription<ModelEvent> {
    const q: EventQueue<ModelEvent> = new EventQueue(() => off());
    const off = this.on((e) => q.push(e));
    return q;
  }

  network(action: NetworkEvent['action'], n: NetworkRecord): void {
    this.emit({ type: 'network', action, network: { id: n.id, name: n.name, driver: n.driver } });
  }

  /** An endpoint made or taken down, with its published ports. */
  endpoint(action: EndpointEvent['action'], s: SandboxRecord, e: EndpointRecord, n: Pick<NetworkRecord, 'id' | 'name'> | undefined): void {
    const sandbox = { id: s.id, name: s.name };
    const endpoint: EndpointEvent['endpoint'] = { id: e.id, ifname: e.ifname, mac: e.mac, ipv4: e.ipv4, ...(e.ipv6 ? { ipv6: e.ipv6 } : {}) };
    if (action === 'remove')
      for (const port of e.ports) this.emit({ type: 'port', action: 'unpublish', sandbox, endpointId: e.id, port });
    this.emit({ type: 'endpoint', action, sandbox, network: { id: e.networkId, name: n?.name ?? e.networkId }, endpoint });
    if (action === 'create')
      for (const port of e.ports) this.emit({ type: 'port', action: 'publish', sandbox, endpointId: e.id, port });
  }

  /** A sandbox made or removed, with every endpoint it had. */
  sandbox(action: SandboxEvent['action'], s: SandboxRecord, networks: readonly Pick<NetworkRecord, 'id' | 'name'>[]): void {
    const byId = new Map(networks.map((n) => [n.id, n]));
    if (action === 'create') this.emit({ type: 'sandbox', action, sandbox: { id: s.id, name: s.name } });
    for (const e of s.endpoints) this.endpoint(action, s, e, byId.get(e.networkId));
    if (action === 'remove') this.emit({ type: 'sandbox', action, sandbox: { id: s.id, name: s.name } });
  }
}
