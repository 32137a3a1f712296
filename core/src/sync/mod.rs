//! Sync with the relay over the automerge-repo protocol: [`wire`] encodes its messages and
//! [`client`] is the sans-IO state machine every adapter drives.

pub mod checked;
pub mod client;
pub mod fanout;
pub mod session;
pub mod wire;

pub use client::{MemoryReplica, Output, ProtocolError, Replica, SyncClient, SyncStatus};
pub use session::{
    AccountView, DeviceView, Enrolled, Invitation, InvitationRequest, Invited, NotInvited, Session,
    SessionPerson, SpentLink,
};
pub use wire::{Message, WireError};
