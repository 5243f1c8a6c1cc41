//! HTTPS/WSS with rustls: a listener that completes TLS handshakes off the accept loop.
//! The rustls parts are the `tls` feature (on by default); without it, a host given
//! certificates refuses to start with [`TlsError::NotBuiltIn`].

use std::path::PathBuf;
#[cfg(feature = "tls")]
use std::{io, net::SocketAddr, path::Path, sync::Arc};

#[cfg(feature = "tls")]
use rustls_pki_types::pem::PemObject;
#[cfg(feature = "tls")]
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
#[cfg(feature = "tls")]
use tokio::net::{TcpListener, TcpStream};
#[cfg(feature = "tls")]
use tokio::sync::mpsc;
#[cfg(feature = "tls")]
use tokio_rustls::TlsAcceptor;
#[cfg(feature = "tls")]
use tokio_rustls::server::TlsStream;

#[cfg(feature = "tls")]
use crate::admission::{Admission, Admitted, ConnState, Guarded, Peer, peer_from};

/// Where the certificate chain and private key are (PEM files).
#[derive(Debug, Clone)]
pub struct TlsFiles {
    /// Certificate chain, leaf first.
    pub cert: PathBuf,
    /// The private key (PKCS#8, PKCS#1 or SEC1).
    pub key: PathBuf,
}

/// Why TLS could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A file could not be read or parsed.
    #[error("cannot use {path} for TLS: {why}")]
    File {
        /// The file.
        path: String,
        /// Why.
        why: String,
    },
    /// rustls refused the pair.
    #[error("the certificate and key do not make a TLS configuration: {0}")]
    Config(String),
    /// This build of the host has no TLS.
    #[error(
        "this build has no TLS (hearth-server's `tls` feature is off); serve plain HTTP behind a TLS proxy, or build with the feature"
    )]
    NotBuiltIn,
}

#[cfg(feature = "tls")]
impl TlsFiles {
    /// Reads and checks both files.
    pub fn server_config(&self) -> Result<Arc<tokio_rustls::rustls::ServerConfig>, TlsError> {
        let file_err = |path: &Path, why: String| TlsError::File {
            path: path.display().to_string(),
            why,
        };
        let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&self.cert)
            .map_err(|e| file_err(&self.cert, e.to_string()))?
            .collect::<Result<_, _>>()
            .map_err(|e| file_err(&self.cert, e.to_string()))?;
        if certs.is_empty() {
            return Err(file_err(&self.cert, "no PEM certificate in it".into()));
        }
        let key = PrivateKeyDer::from_pem_file(&self.key)
            .map_err(|e| file_err(&self.key, e.to_string()))?;
        let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
        let config = tokio_rustls::rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| TlsError::Config(e.to_string()))?
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .map_err(|e| TlsError::Config(e.to_string()))?;
        Ok(Arc::new(config))
    }
}

#[cfg(feature = "tls")]
/// Accepts TCP, hands each connection's handshake to its own task, and yields the finished
/// TLS streams, so one slow handshake never holds up the others. Each socket counts against
/// the connection cap from accept, and its TLS handshake eats into its handshake time.
pub(crate) struct TlsListener {
    rx: mpsc::Receiver<(TlsStream<Guarded<TcpStream>>, SocketAddr)>,
    local: SocketAddr,
}

#[cfg(feature = "tls")]
impl TlsListener {
    /// Starts accepting on `listener`.
    pub(crate) fn new(
        listener: TcpListener,
        config: Arc<tokio_rustls::rustls::ServerConfig>,
        admission: Arc<Admission>,
    ) -> io::Result<Self> {
        let local = listener.local_addr()?;
        let acceptor = TlsAcceptor::from(config);
        let (tx, rx) = mpsc::channel(256);
        tokio::spawn(async move {
            loop {
                let (tcp, peer) = crate::admission::accept(&listener).await;
                if tx.is_closed() {
                    break;
                }
                let Some(tcp) = admission.admit(tcp) else {
                    continue;
                };
                let acceptor = acceptor.clone();
                let tx = tx.clone();
                // The socket's own deadline ends a silent handshake; this one also ends a
                // handshake stuck writing to a peer that does not read.
                let deadline = admission.handshake();
                tokio::spawn(async move {
                    match tokio::time::timeout(deadline, acceptor.accept(tcp)).await {
                        Ok(Ok(tls)) => {
                            let _ = tx.send((tls, peer)).await;
                        }
                        Ok(Err(e)) => tracing::debug!(%peer, "TLS handshake failed: {e}"),
                        Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
                    }
                });
            }
        });
        Ok(TlsListener { rx, local })
    }
}

#[cfg(feature = "tls")]
impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<Guarded<TcpStream>>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.rx.recv().await {
            Some(x) => x,
            // The accept task only ends with the listener; wait forever like a closed socket.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        Ok(self.local)
    }
}

#[cfg(feature = "tls")]
impl<S> Admitted for TlsStream<Guarded<S>> {
    fn conn_state(&self) -> &Arc<ConnState> {
        self.get_ref().0.state()
    }
}

#[cfg(feature = "tls")]
peer_from!(TlsListener);
