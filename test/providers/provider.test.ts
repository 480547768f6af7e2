/**
 * What core/providers/provider.ts runs besides types: the masked form of a token (the local
 * transcript shows it), a provider's host check, and registering a provider that lives outside
 * the product (registry.ts, edges.ts) with its refusals. This file registers a provider of its
 * own; vitest gives each test file its own module registry, so no other file sees it.
 */
import { describe, expect, it } from 'vitest';
import { ConfigError, ValidationError } from '../../core/errors.js';
import { EdgeFieldError } from '../../core/providers/edge.js';
import { providerEdge, providerNames, registerProviderEdge } from '../../core/providers/edges.js';
import { maskToken, providerHost } from '../../core/providers/provider.js';
import { allProviderDefinitions, isProviderName, providerDefinition, providerList, registerProvider } from '../../core/providers/registry.js';
import { memoryDefinition } from '../helpers/memory-provider.js';

describe('maskToken', () => {
  it('enough to tell two tokens apart, never enough to use one', () => {
    expect(maskToken(undefined)).toBe('(none)');
    expect(maskToken('')).toBe('(none)');
    expect(maskToken('12345678')).toBe('****');
    expect(maskToken('123456789')).toBe('1234…89 (9 chars)');
    expect(maskToken('abcdefghijklmnopqrstuvwxyz')).toBe('abcd…yz (26 chars)');
  });
});

describe('providerHost', () => {
  it('the checked host as a URL; a ConfigError naming the provider and the field otherwise', () => {
    expect(providerHost('ica', { host: 'https://ica.example.com' }, 'the API key').origin).toBe('https://ica.example.com');
    expect(providerHost('ica', { host: 'http://ica.example.com', allowInsecureHttp: true }, 'the API key').protocol).toBe('http:');
    expect(() => providerHost('ica', { host: 'http://ica.example.com', allowInsecureHttp: 'yes' as never }, 'the API key')).toThrow(/^ica: host: /);
    expect(() => providerHost('ica', { host: 'not a url' }, 'the API key')).toThrow(ConfigError);
  });
});

describe('EdgeFieldError', () => {
  it('names the field first, and keeps it', () => {
    const e = new EdgeFieldError('graph', 'expected a graph name');
    expect(e).toMatchObject({ name: 'EdgeFieldError', field: 'graph', message: 'graph: expected a graph name' });
  });
});

describe('the registry', () => {
  it('the built-in providers, in order, and an unknown name refused by field', () => {
    expect(providerNames().slice(0, 3)).toEqual(['tigergraph', 'trifacta', 'ica']);
    expect(providerList().startsWith('"tigergraph", "trifacta", "ica"')).toBe(true);
    expect(isProviderName('tigergraph')).toBe(true);
    expect(isProviderName('nope')).toBe(false);
    expect(() => providerDefinition('nope')).toThrow(ValidationError);
    expect(() => providerDefinition('nope')).toThrow('token secret is invalid: provider: expected one of "tigergraph", "trifacta", "ica"');
  });

  it('registers a provider outside the product with its edge, once', () => {
    const definition = { ...memoryDefinition, name: 'provider-test', edge: { ...memoryDefinition.edge, name: 'provider-test' } };
    registerProvider(definition);
    expect(providerDefinition('provider-test')).toBe(definition);
    expect(allProviderDefinitions()).toContain(definition);
    expect(providerEdge('provider-test')).toBe(definition.edge);
    expect(() => registerProvider(definition)).toThrow('provider "provider-test" is registered already');
  });

  it('refuses a definition whose edge has another name, before registering anything', () => {
    const definition = { ...memoryDefinition, name: 'provider-odd', edge: { ...memoryDefinition.edge, name: 'other' } };
    expect(() => registerProvider(definition)).toThrow('provider "provider-odd": its edge is named "other"');
    expect(isProviderName('provider-odd')).toBe(false);
    expect(providerEdge('other')).toBeUndefined();
  });

  it('an edge name already taken is refused', () => {
    expect(() => registerProviderEdge({ ...memoryDefinition.edge, name: 'ica' })).toThrow('provider "ica" is registered already');
  });
});
