import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../../src/errors/errors.js';
import { createAddressMatcher } from '../../../src/certificates/trusted-proxies.js';

function configurationError(fn: () => unknown): ConfigurationError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigurationError);
    return error as ConfigurationError;
  }
  throw new Error('expected a ConfigurationError');
}

describe('RFC 4632 §3.1 CIDR prefixes — IPv4', () => {
  const matches = createAddressMatcher(['10.0.0.0/8', '192.168.0.0/23', '203.0.113.7/32', '198.51.100.1']);

  it.each([
    ['10.0.0.0', true],
    ['10.255.255.255', true],
    ['11.0.0.0', false],
    ['9.255.255.255', false],
    ['192.168.0.1', true],
    ['192.168.1.255', true], // /23 ends inside the third octet
    ['192.168.2.0', false],
    ['203.0.113.7', true], // /32: that address only
    ['203.0.113.8', false],
    ['198.51.100.1', true], // a bare address is a /32
    ['198.51.100.2', false],
  ])('%s → %s', (address, expected) => {
    expect(matches(address)).toBe(expected);
  });

  it('/0 matches every IPv4 peer, mapped or not, but no native IPv6 peer', () => {
    const any4 = createAddressMatcher(['0.0.0.0/0']);
    expect(any4('1.2.3.4')).toBe(true);
    expect(any4('255.255.255.255')).toBe(true);
    expect(any4('::ffff:1.2.3.4')).toBe(true);
    expect(any4('::1')).toBe(false);
    expect(any4('2001:db8::1')).toBe(false);
  });
});

describe('RFC 4291 §2.2 IPv6 prefixes', () => {
  const matches = createAddressMatcher(['fd00::/8', '::1', '2001:db8::/33', '2001:db8:ffff::1/128']);

  it.each([
    ['fd00::1', true],
    ['fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', true],
    ['fe80::1', false],
    ['::1', true],
    ['0:0:0:0:0:0:0:1', true], // same address, uncompressed
    ['::2', false],
    ['2001:db8::', true],
    ['2001:db8:7fff:ffff::1', true], // /33 ends inside the third group
    ['2001:db8:8000::1', false],
    ['2001:DB8::abcd', true], // hex is case-insensitive
    ['2001:db8:ffff::1', true], // outside the /33, but the /128 entry
    ['2001:0db8:ffff:0000:0000:0000:0000:0001', true], // the same, uncompressed
    ['2001:db8:ffff::2', false],
  ])('%s → %s', (address, expected) => {
    expect(matches(address)).toBe(expected);
  });

  it('/128 matches exactly one address', () => {
    const one = createAddressMatcher(['2001:db9::1/128']);
    expect(one('2001:db9::1')).toBe(true);
    expect(one('2001:db9::0:1')).toBe(true);
    expect(one('2001:db9::2')).toBe(false);
  });

  it('::/0 matches every peer — IPv4 peers included, since they live in ::ffff:0:0/96', () => {
    const any = createAddressMatcher(['::/0']);
    expect(any('::1')).toBe(true);
    expect(any('2001:db8::1')).toBe(true);
    expect(any('10.0.0.1')).toBe(true);
  });

  it.each([
    ['1:2:3:4:5:6:7:8', true],
    ['1::', true],
    ['::', true],
    ['1:2:3:4:5:6:7::', true], // "::" standing for one group
    ['::2:3:4:5:6:7:8', true],
    ['1:2:3:4:5:6:1.2.3.4', true],
    ['::ffff:1.2.3.4', true],
    ['1:2:3:4:5:6:7:8::', false],
    ['1::2::3', false],
    ['12345::', false],
    [':1::', false],
    ['1:', false],
    ['1::2:', false],
    [':::', false],
    ['1:2:3:4:5:6:7', false],
    ['1:2:3:4:5:6:7:8:9', false],
    ['1:2:3:4:5:6:7:1.2.3.4', false],
    ['::1.2.3.4:5', false],
    ['::1.2.3', false],
    ['g::1', false],
  ])('IPv6 text %s is well-formed: %s', (address, wellFormed) => {
    expect(createAddressMatcher(['::/0'])(address)).toBe(wellFormed);
  });
});

describe('RFC 4291 §2.5.5.2 IPv4-mapped peers (Node dual-stack sockets)', () => {
  it('an IPv4 entry matches the IPv4-mapped IPv6 form Node reports on dual-stack sockets', () => {
    const loopback = createAddressMatcher(['127.0.0.1']);
    expect(loopback('127.0.0.1')).toBe(true);
    expect(loopback('::ffff:127.0.0.1')).toBe(true);
    expect(loopback('::FFFF:127.0.0.1')).toBe(true);
    expect(loopback('::ffff:7f00:1')).toBe(true); // the same address in hex groups
    expect(loopback('::ffff:127.0.0.2')).toBe(false);
    expect(loopback('::127.0.0.1')).toBe(false); // deprecated IPv4-compatible form is another address
    expect(loopback('::1')).toBe(false);
  });

  it('a mapped IPv6 entry matches plain IPv4 peers', () => {
    const mapped = createAddressMatcher(['::ffff:10.0.0.0/104']);
    expect(mapped('10.20.30.40')).toBe(true);
    expect(mapped('::ffff:10.20.30.40')).toBe(true);
    expect(mapped('11.0.0.1')).toBe(false);
  });

  it('prefix edges of a mapped CIDR', () => {
    const net = createAddressMatcher(['172.16.0.0/12']);
    expect(net('::ffff:172.31.255.255')).toBe(true);
    expect(net('::ffff:172.32.0.0')).toBe(false);
    expect(net('::ffff:172.15.255.255')).toBe(false);
  });
});

describe('RFC 4007 §11 zone ids', () => {
  it('an entry without a zone matches a peer by address, whatever its zone', () => {
    const linkLocal = createAddressMatcher(['fe80::/10']);
    expect(linkLocal('fe80::1%eth0')).toBe(true);
    expect(linkLocal('fe80::1%2')).toBe(true);
    expect(linkLocal('fe80::1')).toBe(true);
  });

  it('an entry with a zone matches that zone only (RFC 4007 §11.7 form with a prefix too)', () => {
    const eth0 = createAddressMatcher(['fe80::1%eth0', 'fe80::%eth1/64']);
    expect(eth0('fe80::1%eth0')).toBe(true);
    expect(eth0('fe80::1%eth2')).toBe(false);
    expect(eth0('fe80::1')).toBe(false);
    expect(eth0('fe80::99%eth1')).toBe(true);
    expect(eth0('fe80::99%eth10')).toBe(false);
  });

  it('a zone on an IPv4 peer, or an empty zone, is not an address', () => {
    const any = createAddressMatcher(['0.0.0.0/0', '::/0']);
    expect(any('10.0.0.1%eth0')).toBe(false);
    expect(any('fe80::1%')).toBe(false);
  });
});

describe('Peer addresses that are not addresses never match', () => {
  const any = createAddressMatcher(['0.0.0.0/0', '::/0']);

  it.each([
    [undefined],
    [''],
    ['localhost'],
    ['1.2.3'],
    ['1.2.3.4.5'],
    ['1.2.3.4.'],
    ['.1.2.3.4'],
    ['256.1.1.1'],
    ['01.2.3.4'], // leading zero: octal to inet_aton
    ['1.2.3.4:80'],
    ['1.2.3.4/32'],
    [' 1.2.3.4'],
    ['[::1]'],
    ['::1/128'],
    ['x'.repeat(10_000)],
  ])('%j → false', (address) => {
    expect(any(address)).toBe(false);
  });

  it('an empty list trusts no one (the default)', () => {
    const none = createAddressMatcher([]);
    expect(none('127.0.0.1')).toBe(false);
    expect(none('::1')).toBe(false);
  });

  it('tolerates non-string input from untyped callers', () => {
    expect(any(42 as unknown as string)).toBe(false);
    expect(any(null as unknown as string)).toBe(false);
  });
});

describe('Invalid entries fail at construction, naming the index and the fix', () => {
  it.each([
    ['10.0.0.0/33', /trustedProxies\[1\]: "10\.0\.0\.0\/33": the prefix length .* 0 to 32 for an IPv4 address/],
    ['fd00::/129', /trustedProxies\[1\]: .*0 to 128 for an IPv6 address/],
    ['10.0.0.0/08', /trustedProxies\[1\]: .*prefix length/],
    ['10.0.0.0/', /trustedProxies\[1\]: .*prefix length/],
    ['10.0.0.0/-1', /trustedProxies\[1\]: .*prefix length/],
    ['10.0.0.1/8', /trustedProxies\[1\]: "10\.0\.0\.1\/8" has bits set after the \/8 prefix; use "10\.0\.0\.0\/8"/],
    ['fd00::1/8', /trustedProxies\[1\]: .*use "fd00::\/8"/],
    ['2001:db8:0:0:1::/64', /use "2001:db8::\/64"/],
    ['10.0.0', /trustedProxies\[1\]: "10\.0\.0" is not an IP address or CIDR block; use .*"10\.0\.0\.0\/8"/],
    ['010.0.0.1', /is not an IP address/],
    ['localhost', /is not an IP address/],
    ['', /is not an IP address/],
    [' 10.0.0.1', /surrounding whitespace/],
    ['10.0.0.1%eth0', /zone ids .* IPv6 addresses only/],
    ['fe80::1%', /zone id after "%"/],
    ['fe80::1%et h0', /zone id after "%"/],
    ['[::1]', /is not an IP address/],
  ])('%j', (entry, message) => {
    const error = configurationError(() => createAddressMatcher(['127.0.0.1', entry]));
    expect(error.code).toBe('ERR_M2M_INVALID_OPTION');
    expect(error.field).toBe('trustedProxies[1]');
    expect(error.message).toMatch(message);
  });

  it('non-string entries name the index and the type', () => {
    const error = configurationError(() => createAddressMatcher(['::1', '::2', 42 as unknown as string]));
    expect(error.field).toBe('trustedProxies[2]');
    expect(error.message).toMatch(/must be a string.*got number/);
  });

  it('uses the caller’s field name', () => {
    const error = configurationError(() => createAddressMatcher(['nope'], 'options.mtls.trustedProxies'));
    expect(error.field).toBe('options.mtls.trustedProxies[0]');
  });

  it('refuses a list that is not an array', () => {
    const error = configurationError(() => createAddressMatcher('10.0.0.0/8' as unknown as string[]));
    expect(error.field).toBe('trustedProxies');
  });
});
