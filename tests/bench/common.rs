//! What the benchmarks share: timing GETs, the bare actix-web handler every figure is compared
//! with, and milliseconds for printing.

use std::time::{Duration, Instant};

use actix_web::http::StatusCode;
use actix_web::web::Bytes;
use actix_web::{App, HttpResponse, HttpServer, web};

/// The 50th and 95th percentile of `rounds` GETs of `url` (after `warm_up` uncounted ones),
/// and the last body. Every answer must be 200.
pub async fn time_gets(
    client: &reqwest::Client,
    url: &str,
    rounds: usize,
    warm_up: usize,
) -> (Duration, Duration, Bytes) {
    let mut times = Vec::with_capacity(rounds);
    let mut body = Bytes::new();
    for round in 0..warm_up + rounds {
        let started = Instant::now();
        let response = client.get(url).send().await.unwrap();
        assert_eq!(response.status().as_u16(), 200, "{url}");
        body = response.bytes().await.unwrap();
        if round >= warm_up {
            times.push(started.elapsed());
        }
    }
    times.sort();
    (times[rounds / 2], times[rounds * 95 / 100], body)
}

/// A bare actix-web server on one worker, no middleware and no database, that answers any
/// request with `status`, `content_type` and `body`: the baseline each figure is read against.
pub async fn bare_server(status: StatusCode, content_type: &'static str, body: Bytes) -> String {
    let server = HttpServer::new(move || {
        let body = body.clone();
        App::new().default_service(web::to(move || {
            let body = body.clone();
            async move {
                HttpResponse::build(status)
                    .content_type(content_type)
                    .body(body)
            }
        }))
    })
    .workers(1)
    .bind(("127.0.0.1", 0))
    .unwrap();
    let address = format!("http://{}/", server.addrs()[0]);
    tokio::spawn(server.run());
    address
}

/// A bare handler serving `body` as an HTML page.
pub async fn bare_page(body: Bytes) -> String {
    bare_server(StatusCode::OK, "text/html; charset=utf-8", body).await
}

pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
