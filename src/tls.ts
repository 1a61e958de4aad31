import { IConstruct } from 'constructs';
import { invalidProp, requireDnsSubdomain } from './validation';

/**
 * A server certificate for an in-cluster store, from a Secret you provide: the
 * `kubernetes.io/tls` shape with the issuing CA beside it (`tls.crt`, `tls.key`, `ca.crt`), which is
 * exactly what cert-manager writes for a `Certificate` (cert-manager.io/v1, `spec.secretName`).
 * The certificate must name the store's Service and headless names (see docs/security.md).
 */
export class TlsCertificate {
  /** Key of the certificate chain in the Secret. */
  public static readonly CERTIFICATE_KEY: string = 'tls.crt';
  /** Key of the private key in the Secret. */
  public static readonly PRIVATE_KEY_KEY: string = 'tls.key';
  /** Key of the issuing CA's certificate in the Secret (clients verify the server with it). */
  public static readonly CA_KEY: string = 'ca.crt';

  /** A Secret in the namespace holding `tls.crt`, `tls.key` and `ca.crt`. */
  public static fromSecret(secretName: string): TlsCertificate {
    return new TlsCertificate(secretName);
  }

  private constructor(
    /** Name of the Secret. */
    public readonly secretName: string,
  ) {}
}

/**
 * A TlsCertificate or a clear error naming the prop.
 * @internal
 */
export function requireTlsCertificate(scope: IConstruct, property: string, value: unknown): TlsCertificate {
  if (!(value instanceof TlsCertificate)) invalidProp(scope, property, value, "TlsCertificate.fromSecret('<Secret with tls.crt, tls.key and ca.crt>')");
  requireDnsSubdomain(scope, `${property}.secretName`, value.secretName);
  return value;
}
