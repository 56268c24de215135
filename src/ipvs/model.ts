// A model of the kernel's IPVS table, as ipvsadm shows it. The planner compares a desired
// table with the actual one; the ipvsadm output parser and the fake ipvsadm produce it.
import type { Family, Protocol } from '../config/model.ts';

/**
 * ipvsadm's forwarding methods. 'local' is what kernels before 2.6.x showed for a destination
 * on a local address; the 6.1 kernel keeps the configured method (seen under qemu).
 */
export type IpvsForward = 'gate' | 'masq' | 'ipip' | 'local' | 'bypass';

export interface IpvsDestination {
  /** Numeric; IPv6 bare and canonical. */
  address: string;
  port: number;
  forward: IpvsForward;
  weight: number;
  /** -x */
  upperThreshold: number;
  /** -y */
  lowerThreshold: number;
}

export interface IpvsService {
  protocol: Protocol;
  family: Family;
  /** '' for a firewall-mark service. */
  address: string;
  /** 0 for a firewall-mark service. */
  port: number;
  /** 0 unless protocol is 'fwm'. */
  fwmark: number;
  scheduler: string;
  /** Persistence timeout in seconds; undefined when not persistent. */
  persistent?: number;
  /** Persistence netmask as ipvsadm prints it (dotted quad, or a prefix length for IPv6). */
  netmask?: string;
  /** One-packet scheduling (-o); UDP only. */
  ops: boolean;
  /** Scheduler flags (-b), e.g. 'sh-fallback,sh-port'. */
  schedflags?: string;
  destinations: IpvsDestination[];
}

export interface IpvsTable {
  services: IpvsService[];
}
