//! The booking load's HTTP client: HTTP/1.1 on kept-alive connections, hyper and no
//! more. The load generator shares the machine's two cores with the service it
//! measures, and reqwest (a URL per request, a pool lock, a timer, redirect and
//! decompression layers) cost it more per request than the bookings can spare. The
//! reads have `wrk` for the same reason.
//!
//! One pool per instance: a request takes an idle connection or opens one, and gives it
//! back once the answer is read, so connections are kept as a browser keeps its own.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::{handshake, SendRequest};
use hyper::header::{HeaderValue, AUTHORIZATION, CONTENT_TYPE, HOST};
use hyper::Request;
use hyper_util::rt::TokioIo;
use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::Duration;

type Sender = SendRequest<Full<Bytes>>;

/// Why a request got no answer.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    #[error("connect: {0}")]
    Connect(#[from] std::io::Error),
    #[error("http: {0}")]
    Http(#[from] hyper::Error),
    #[error("request: {0}")]
    Request(#[from] hyper::http::Error),
    #[error("no answer within {0:?}")]
    Timeout(Duration),
}

/// A pool of HTTP/1.1 connections to one instance.
pub struct Http1 {
    addr: SocketAddr,
    host: HeaderValue,
    idle: Mutex<Vec<Sender>>,
    timeout: Duration,
}

impl Http1 {
    /// `base` is `http://<ip>:<port>` (the benchmark only targets this machine, so no
    /// name lookup and no TLS).
    pub fn new(base: &str, timeout: Duration) -> anyhow::Result<Self> {
        let authority = base
            .strip_prefix("http://")
            .ok_or_else(|| anyhow::anyhow!("{base}: the benchmark's hosts are http://ip:port"))?
            .trim_end_matches('/');
        let addr = std::net::ToSocketAddrs::to_socket_addrs(authority)?
            .next()
            .ok_or_else(|| anyhow::anyhow!("{base}: no address"))?;
        Ok(Self {
            addr,
            host: HeaderValue::from_str(authority)?,
            idle: Mutex::new(Vec::new()),
            timeout,
        })
    }

    async fn connect(&self) -> Result<Sender, HttpError> {
        let stream = tokio::net::TcpStream::connect(self.addr).await?;
        stream.set_nodelay(true)?;
        let (sender, conn) = handshake(TokioIo::new(stream)).await?;
        tokio::spawn(conn);
        Ok(sender)
    }

    fn take_idle(&self) -> Option<Sender> {
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        while let Some(s) = idle.pop() {
            if !s.is_closed() {
                return Some(s);
            }
        }
        None
    }

    fn give_back(&self, sender: Sender) {
        if !sender.is_closed() {
            self.idle
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(sender);
        }
    }

    /// POSTs a JSON body to `path` with a bearer token and a fresh Idempotency-Key;
    /// the status and the body of the answer. A kept connection the server closed
    /// meanwhile is retried once on a new one (the key makes that safe).
    pub async fn post_json(
        &self,
        path: &str,
        bearer: &HeaderValue,
        body: Bytes,
    ) -> Result<(u16, Bytes), HttpError> {
        let mut buf = uuid::Uuid::encode_buffer();
        let key = uuid::Uuid::new_v4().hyphenated().encode_lower(&mut buf);
        let key = HeaderValue::from_str(key).map_err(hyper::http::Error::from)?;
        let request = || {
            Request::post(path)
                .header(HOST, self.host.clone())
                .header(AUTHORIZATION, bearer.clone())
                .header("idempotency-key", key.clone())
                .header(CONTENT_TYPE, "application/json")
                .body(Full::new(body.clone()))
        };
        let exchange = async {
            if let Some(sender) = self.take_idle() {
                match self.send(sender, request()?).await {
                    Err(HttpError::Http(e)) if e.is_canceled() || e.is_incomplete_message() => {}
                    answered => return answered,
                }
            }
            let sender = self.connect().await?;
            self.send(sender, request()?).await
        };
        tokio::time::timeout(self.timeout, exchange)
            .await
            .unwrap_or(Err(HttpError::Timeout(self.timeout)))
    }

    async fn send(
        &self,
        mut sender: Sender,
        request: Request<Full<Bytes>>,
    ) -> Result<(u16, Bytes), HttpError> {
        sender.ready().await?;
        let response = sender.send_request(request).await?;
        let status = response.status().as_u16();
        let body = response.into_body().collect().await?.to_bytes();
        self.give_back(sender);
        Ok((status, body))
    }
}

/// `Authorization: Bearer <token>`, made once per token.
pub fn bearer(token: &str) -> anyhow::Result<HeaderValue> {
    let mut v = HeaderValue::from_str(&format!("Bearer {token}"))?;
    v.set_sensitive(true);
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};

    async fn echo(req: HttpRequest, body: web::Bytes) -> HttpResponse {
        let header = |n: &str| {
            req.headers()
                .get(n)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_owned()
        };
        HttpResponse::Created().json(serde_json::json!({
            "auth": header("authorization"),
            "key": header("idempotency-key"),
            "type": header("content-type"),
            "body": String::from_utf8_lossy(&body),
        }))
    }

    #[actix_web::test]
    async fn posts_json_with_token_and_a_fresh_key_on_kept_connections() {
        let server = HttpServer::new(|| App::new().route("/x", web::post().to(echo)))
            .workers(1)
            .bind(("127.0.0.1", 0))
            .unwrap();
        let addr = server.addrs()[0];
        let handle = server.run();
        let server = tokio::spawn(handle);
        let client = Http1::new(&format!("http://{addr}"), Duration::from_secs(5)).unwrap();
        let token = bearer("abc").unwrap();
        let mut keys = Vec::new();
        for _ in 0..3 {
            let (status, body) = client
                .post_json("/x", &token, Bytes::from_static(b"{\"a\":1}"))
                .await
                .unwrap();
            assert_eq!(status, 201);
            let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
            assert_eq!(v["auth"], "Bearer abc");
            assert_eq!(v["type"], "application/json");
            assert_eq!(v["body"], "{\"a\":1}");
            keys.push(v["key"].as_str().unwrap().to_owned());
        }
        keys.dedup();
        assert_eq!(keys.len(), 3, "each request has its own key");
        assert_eq!(client.idle.lock().unwrap().len(), 1, "one connection, kept");
        server.abort();
    }

    #[test]
    fn only_plain_http_hosts() {
        assert!(Http1::new("https://127.0.0.1:1", Duration::from_secs(1)).is_err());
        assert!(Http1::new("http://127.0.0.1:8080/", Duration::from_secs(1)).is_ok());
    }
}
