//! The HTTP ceiling: an actix-web server with the booking service's worker count that
//! answers every GET with the same bytes (a real availability response captured by the
//! benchmark). What the booking service cannot beat on this machine with this stack.

use actix_web::{web, App, HttpResponse, HttpServer};
use std::net::TcpListener;

/// Serves `body` as JSON on 127.0.0.1:`port` (0: any free port) with `workers` workers;
/// prints the bound port on stdout, then runs until killed.
pub async fn serve(body: Vec<u8>, port: u16, workers: usize) -> std::io::Result<()> {
    let listener = TcpListener::bind(("127.0.0.1", port))?;
    println!("{}", listener.local_addr()?.port());
    let body = web::Bytes::from(body);
    HttpServer::new(move || {
        let body = body.clone();
        App::new().default_service(web::to(move || {
            let body = body.clone();
            async move {
                HttpResponse::Ok()
                    .content_type("application/json")
                    .body(body)
            }
        }))
    })
    .workers(workers.max(1))
    .listen(listener)?
    .run()
    .await
}
