// The local API Gateway's $connect forwarding headers, as API Gateway writes them (regional endpoint): the
// TCP peer is appended to whatever X-Forwarded-For the client sent, and sourceIp is that peer.
import { describe, expect, it } from 'vitest';
import { withForwardingHeaders } from '../../../../packages/local/src/apigateway/gateway.ts';

const peer = { sourceIp: '127.0.0.1', port: 4567, protocol: 'http' as const };

describe('withForwardingHeaders', () => {
  it('adds X-Forwarded-For, -Port and -Proto when the client sent none', () => {
    const result = withForwardingHeaders(
      { headers: { Host: 'h' }, multiValueHeaders: { Host: ['h'] } },
      peer,
    );
    expect(result.headers).toEqual({
      Host: 'h',
      'X-Forwarded-For': '127.0.0.1',
      'X-Forwarded-Port': '4567',
      'X-Forwarded-Proto': 'http',
    });
    expect(result.multiValueHeaders['X-Forwarded-For']).toEqual(['127.0.0.1']);
  });

  it("appends the peer to the client's own X-Forwarded-For (any case) and replaces its port and proto", () => {
    const result = withForwardingHeaders(
      {
        headers: { 'x-forwarded-for': '192.0.2.10', 'X-Forwarded-Proto': 'https' },
        multiValueHeaders: { 'x-forwarded-for': ['192.0.2.10'], 'X-Forwarded-Proto': ['https'] },
      },
      peer,
    );
    expect(result.headers).toEqual({
      'X-Forwarded-For': '192.0.2.10, 127.0.0.1',
      'X-Forwarded-Port': '4567',
      'X-Forwarded-Proto': 'http',
    });
  });
});
