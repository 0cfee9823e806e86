// Package report renders a failing simulation run as one self-contained HTML
// page: a fault timeline, a message-sequence (Lamport) diagram and the
// clients' operations, all on one virtual-time axis, under a header that
// says what failed and how to replay it.
//
// The page opens offline: its CSS and SVG are inline, and it has no
// script, font or image. Its controls are CSS alone (checkboxes and radio
// buttons before the diagram): filters by message type and by host, a
// horizontal zoom, and background traffic (Message.Background, such as
// heartbeats) collapsed until shown. Each message type has one colour on
// every page, from a hash of its name. Every string of the input is escaped by
// html/template, so labels and message bodies taken from a run cannot
// inject markup. The same Page always renders to the same bytes.
//
// The caller's contract:
//
//  1. Build a Page. Start < End is the window shown, in true virtual time.
//     Hosts and Clients name the lanes, top to bottom; every name is
//     non-empty and appears once across both lists.
//  2. Every Message names lanes in From and To, has Sent <= Received, and
//     overlaps the window. Received is when the message was delivered or,
//     if Dropped, when it was lost; a message not delivered by the end of
//     the window has Received >= End and is drawn as still in flight.
//  3. Every Op names a client lane, has Call <= Return unless Pending, and
//     overlaps the window. A Pending op's Return is ignored: it is drawn
//     open-ended to the window's end.
//  4. Faults may lie anywhere in time: the part inside the window is drawn,
//     in the lanes named by Hosts or, when Hosts is empty, in the
//     cluster-wide lane; faults wholly outside the window are listed below
//     the diagram. A fault with Start == End is drawn as a mark.
//  5. FailureAt is inside the window, or negative for no failure line.
//     States name host lanes and have Start <= End; each is drawn as a
//     band along the bottom of its lane, labelled.
//  6. Call Limit to bound the page: the page's size grows with the number
//     of messages (and of operations and faults), and Limit keeps the
//     messages nearest the failure. It also drops the messages and ops
//     that lie wholly outside the window. Render hatches the spans of the
//     window where Limit may have left messages out.
//  7. Call Render. It checks points 1 to 5 and returns an error naming the
//     offending field (for example "Messages[3].To") before writing
//     anything.
package report
