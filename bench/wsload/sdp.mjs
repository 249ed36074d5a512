// The WebRTC offer both WebSocket load generators send (bench/ws-load.js's JS generator and
// wsload.c, which holds a copy of the sdp string; bench/wsload/check.mjs compares them).
// A realistic non-trickle WebRTC offer (~500 bytes).
export const SDP = {
  type: 'offer',
  sdp:
    'v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\n' +
    'a=msid-semantic: WMS\r\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n' +
    'c=IN IP4 0.0.0.0\r\na=candidate:1 1 udp 2113937151 127.0.0.1 54321 typ host\r\n' +
    'a=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuvwx\r\na=ice-options:trickle\r\n' +
    'a=fingerprint:sha-256 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF\r\n' +
    'a=setup:actpass\r\na=mid:0\r\na=sctp-port:5000\r\na=max-message-size:262144\r\n',
};
