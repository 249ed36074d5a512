/**
 * The family of a compact peer (PeerStore convention): 6 bytes is IPv4, 18 is IPv6. Any other
 * length is a caller error: a RangeError, as the PeerStore contract says.
 */
export function peerFamily(peer: Buffer): 4 | 6 {
  if (peer.length === 6) return 4;
  if (peer.length === 18) return 6;
  throw new RangeError(`a compact peer is 6 or 18 bytes, not ${peer.length}`);
}
