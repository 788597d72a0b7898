export * from './iptables.ts';
export * from './proxier.ts';
export * from './rules.ts';
