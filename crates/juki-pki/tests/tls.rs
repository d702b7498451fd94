//! Real TLS on loopback: a server with `server_config`, clients with `client_config`; the
//! identity the server sees, refusals of foreign and revoked certificates at the next
//! connection, a bad revocation list that changes nothing, renewal without a restart, and a
//! client that refuses the wrong parent.

// Test helpers: a failed unwrap fails the test that called it.
#![allow(clippy::unwrap_used)]

use juki_domain::LocalGovernmentCode;
use juki_pki::{
    Ca, Expect, Identity, Jurisdiction, NodeTls, Role, Serial, client_config, io_error_def,
    peer_identity, server_config,
};
use rustls::pki_types::ServerName;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

fn local(code: &str) -> Jurisdiction {
    Jurisdiction::Local(LocalGovernmentCode::parse(code).unwrap())
}

fn node(role: Role, code: &str) -> Identity {
    Identity::new(role, local(code), role.as_str()).unwrap()
}

/// Files of one issued certificate.
struct Pair {
    crt: PathBuf,
    key: PathBuf,
}

fn issue(ca: &mut Ca, dir: &Path, name: &str, id: &Identity) -> (Pair, Serial) {
    let pair = Pair {
        crt: dir.join(format!("{name}.crt")),
        key: dir.join(format!("{name}.key")),
    };
    let hosts = if id.role.is_node() {
        vec!["127.0.0.1".to_string()]
    } else {
        Vec::new()
    };
    let issued = ca.issue(id, &hosts, 30, &pair.crt, &pair.key).unwrap();
    (pair, issued.serial)
}

/// A test server: answers each connection with one line, the client's identity URI or
/// `none`, and reports every failed handshake on `refused`.
struct Server {
    addr: SocketAddr,
    refused: mpsc::UnboundedReceiver<rustls::Error>,
}

async fn start_server(tls: NodeTls) -> Server {
    let config = server_config(&tls).unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(config);
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, refused) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        loop {
            let (tcp, _) = listener.accept().await.unwrap();
            let acceptor = acceptor.clone();
            let tx = tx.clone();
            tokio::spawn(async move {
                match acceptor.accept(tcp).await {
                    Ok(mut tls) => {
                        let who = peer_identity(tls.get_ref().1.peer_certificates().unwrap_or(&[]))
                            .map_or_else(|| "none".to_string(), |id| id.uri());
                        let _ = tls.write_all(format!("{who}\n").as_bytes()).await;
                        let _ = tls.shutdown().await;
                    }
                    Err(e) => {
                        let inner = e
                            .get_ref()
                            .and_then(|i| i.downcast_ref::<rustls::Error>())
                            .cloned()
                            .unwrap_or(rustls::Error::General(e.to_string()));
                        let _ = tx.send(inner);
                    }
                }
            });
        }
    });
    Server { addr, refused }
}

/// What a client saw of a connection that worked: the server's line and its certificate's
/// serial.
#[derive(Debug)]
struct Seen {
    line: String,
    server_serial: Serial,
}

/// Connects and reads the server's line. In TLS 1.3 a refused client certificate shows up at
/// the first read (the server's alert), so both steps count as the handshake.
async fn connect(addr: SocketAddr, config: &Arc<rustls::ClientConfig>) -> std::io::Result<Seen> {
    let connector = tokio_rustls::TlsConnector::from(config.clone());
    let tcp = TcpStream::connect(addr).await?;
    let name = ServerName::IpAddress(addr.ip().into());
    let mut tls = connector.connect(name, tcp).await?;
    let server_serial =
        Serial::of_cert_der(&tls.get_ref().1.peer_certificates().unwrap()[0]).unwrap();
    let mut line = String::new();
    tls.read_to_string(&mut line).await?;
    if line.is_empty() {
        return Err(std::io::Error::other("closed without a line"));
    }
    Ok(Seen {
        line: line.trim().to_string(),
        server_serial,
    })
}

fn code_of(r: &std::io::Result<Seen>) -> &'static str {
    match r {
        Ok(seen) => panic!("expected a refusal, the server answered {seen:?}"),
        Err(e) => io_error_def(e).map_or_else(|| panic!("no catalogue entry for {e}"), |d| d.code),
    }
}

/// The next handshake the server refused, as a catalogue code. (The client may read the
/// alert before the server's task reports it, hence the wait, bounded.)
async fn refused_code(server: &mut Server) -> &'static str {
    let e = tokio::time::timeout(std::time::Duration::from_secs(10), server.refused.recv())
        .await
        .expect("the server reported the refused handshake within 10 s")
        .unwrap();
    juki_pki::handshake_error_def(&e)
        .map_or_else(|| panic!("no catalogue entry for {e}"), |d| d.code)
}

#[tokio::test]
async fn mutual_tls_identities_revocation_and_renewal() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut ca = Ca::init(&d.join("ca"), 3650).unwrap();
    let tokyo = node(Role::Prefecture, "130001");
    let nakano = node(Role::Municipal, "131148");
    let (server_files, first_server_serial) = issue(&mut ca, d, "tokyo", &tokyo);
    let (client, client_serial) = issue(&mut ca, d, "nakano", &nakano);
    let ca_pem = ca.cert_path();
    let mut server = start_server(NodeTls {
        ca: ca_pem.clone(),
        cert: server_files.crt.clone(),
        key: server_files.key.clone(),
        crl: Some(ca.crl_path()),
    })
    .await;
    let with_cert =
        |p: &Pair| Arc::new(client_config(&ca_pem, Some((&p.crt, &p.key)), None).unwrap());
    let nakano_config = with_cert(&client);
    let anonymous = Arc::new(client_config(&ca_pem, None, None).unwrap());

    // A valid client certificate: the server sees the identity.
    let seen = connect(server.addr, &nakano_config).await.unwrap();
    assert_eq!(seen.line, "urn:juki:municipal:131148:municipal");
    assert_eq!(seen.server_serial, first_server_serial);

    // No client certificate: the handshake succeeds, no identity.
    assert_eq!(connect(server.addr, &anonymous).await.unwrap().line, "none");

    // A certificate from another CA: refused.
    let mut other_ca = Ca::init(&d.join("other-ca"), 3650).unwrap();
    let (foreign, _) = issue(&mut other_ca, d, "foreign", &nakano);
    let r = connect(server.addr, &with_cert(&foreign)).await;
    assert_eq!(code_of(&r), "JK-TLS-0102");
    assert_eq!(refused_code(&mut server).await, "JK-TLS-0102");

    // Revoke the client: the next connection, with the same client configuration (which
    // would resume a session if the server allowed it), is refused; the server keeps
    // serving others.
    assert!(ca.revoke(&client_serial).unwrap());
    let r = connect(server.addr, &nakano_config).await;
    assert_eq!(code_of(&r), "JK-TLS-0103");
    assert_eq!(refused_code(&mut server).await, "JK-TLS-0103");
    assert_eq!(connect(server.addr, &anonymous).await.unwrap().line, "none");
    let clerk = Identity::new(Role::Clerk, local("131148"), "tanaka").unwrap();
    let (clerk_files, _) = issue(&mut ca, d, "clerk", &clerk);
    let clerk_config = with_cert(&clerk_files);
    assert_eq!(
        connect(server.addr, &clerk_config).await.unwrap().line,
        "urn:juki:clerk:131148:tanaka"
    );

    // Renew the server's certificate: the next connection sees the new one.
    let renewed = ca.renew(&server_files.crt, &server_files.key, 60).unwrap();
    assert_ne!(renewed.serial, first_server_serial);
    let seen = connect(server.addr, &clerk_config).await.unwrap();
    assert_eq!(seen.server_serial, renewed.serial);
    assert_eq!(seen.line, "urn:juki:clerk:131148:tanaka");

    // A revocation list that does not parse keeps the previous one in force: the revoked
    // client stays refused, the others still connect.
    let crl = ca.crl_path();
    let tmp = d.join("garbage.pem");
    std::fs::write(
        &tmp,
        b"-----BEGIN X509 CRL-----\nnot a crl\n-----END X509 CRL-----\n",
    )
    .unwrap();
    std::fs::rename(&tmp, &crl).unwrap();
    let r = connect(server.addr, &nakano_config).await;
    assert_eq!(code_of(&r), "JK-TLS-0103");
    assert_eq!(
        connect(server.addr, &clerk_config).await.unwrap().line,
        "urn:juki:clerk:131148:tanaka"
    );
    // The next good list is picked up again.
    let clerk_serial = ca
        .list()
        .iter()
        .find(|c| c.identity == clerk)
        .unwrap()
        .serial
        .clone();
    assert!(ca.revoke(&clerk_serial).unwrap());
    let r = connect(server.addr, &clerk_config).await;
    assert_eq!(code_of(&r), "JK-TLS-0103");
}

#[tokio::test]
async fn a_client_refuses_a_parent_of_another_prefecture() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut ca = Ca::init(&d.join("ca"), 3650).unwrap();
    let (osaka, _) = issue(&mut ca, d, "osaka", &node(Role::Prefecture, "270008"));
    let (tokyo, _) = issue(&mut ca, d, "tokyo", &node(Role::Prefecture, "130001"));
    let (nakano, _) = issue(&mut ca, d, "nakano", &node(Role::Municipal, "131148"));
    let serve = |p: &Pair| NodeTls {
        ca: ca.cert_path(),
        cert: p.crt.clone(),
        key: p.key.clone(),
        crl: Some(ca.crl_path()),
    };
    let osaka_server = start_server(serve(&osaka)).await;
    let tokyo_server = start_server(serve(&tokyo)).await;
    let expect = Expect::parent_of(&node(Role::Municipal, "131148")).unwrap();
    assert_eq!(
        expect,
        Expect::Node {
            role: Role::Prefecture,
            jurisdiction: local("130001")
        }
    );
    let config = Arc::new(
        client_config(
            &ca.cert_path(),
            Some((&nakano.crt, &nakano.key)),
            Some(expect),
        )
        .unwrap(),
    );

    let r = connect(osaka_server.addr, &config).await;
    assert_eq!(code_of(&r), "JK-TLS-0109");
    let message = r.unwrap_err().to_string();
    assert!(
        message.contains("JK-TLS-0109") && message.contains("urn:juki:prefecture:270008"),
        "{message}"
    );

    // The right parent is accepted and sees the municipal node.
    assert_eq!(
        connect(tokyo_server.addr, &config).await.unwrap().line,
        "urn:juki:municipal:131148:municipal"
    );
}
