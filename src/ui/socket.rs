//! The WebSocket to the relay, on `web_sys` directly. Frames go out straight from wasm memory:
//! gloo's socket wraps every binary frame in a `Blob`, which made sending the slowest part of
//! catching up after offline work (a thousand tickets are thousands of frames).

use futures::channel::mpsc;
use js_sys::{ArrayBuffer, Uint8Array};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{BinaryType, MessageEvent, WebSocket};

/// What the socket reports; the stream ends when the connection closes or fails.
pub enum SocketEvent {
    Open,
    Frame(Vec<u8>),
}

type Handler = Closure<dyn FnMut(JsValue)>;

pub struct RelaySocket {
    ws: WebSocket,
    _handlers: [Handler; 4],
}

impl RelaySocket {
    /// Starts connecting to `url`; events arrive on the returned stream.
    pub fn open(url: &str) -> Result<(Self, mpsc::UnboundedReceiver<SocketEvent>), JsValue> {
        let ws = WebSocket::new(url)?;
        ws.set_binary_type(BinaryType::Arraybuffer);
        let (events, receiver) = mpsc::unbounded();
        let on_open = {
            let events = events.clone();
            Handler::new(move |_| {
                let _ = events.unbounded_send(SocketEvent::Open);
            })
        };
        let on_message = {
            let events = events.clone();
            Handler::new(move |event: JsValue| {
                let data = event.unchecked_into::<MessageEvent>().data();
                if let Some(buffer) = data.dyn_ref::<ArrayBuffer>() {
                    let bytes = Uint8Array::new(buffer).to_vec();
                    let _ = events.unbounded_send(SocketEvent::Frame(bytes));
                }
            })
        };
        let ends = || {
            let events = events.clone();
            Handler::new(move |_| events.close_channel())
        };
        let (on_close, on_error) = (ends(), ends());
        ws.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        ws.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        ws.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        ws.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        let socket = Self {
            ws,
            _handlers: [on_open, on_message, on_close, on_error],
        };
        Ok((socket, receiver))
    }

    /// Sends one binary frame; false if the connection is gone.
    pub fn send(&self, bytes: &[u8]) -> bool {
        self.ws.send_with_u8_array(bytes).is_ok()
    }
}

impl Drop for RelaySocket {
    /// Closes the connection and detaches the handlers before they are freed.
    fn drop(&mut self) {
        self.ws.set_onopen(None);
        self.ws.set_onmessage(None);
        self.ws.set_onclose(None);
        self.ws.set_onerror(None);
        let _ = self.ws.close();
    }
}
