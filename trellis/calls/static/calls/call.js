// Trellis calls: peer-to-peer WebRTC in the browser, signalled over the page's live socket.
//
// The server relays offers, answers and ICE candidates between the tabs in one room and
// nothing else; media goes browser to browser (a mesh: each tab connects to each other
// tab, up to six). Negotiation follows the "perfect negotiation" pattern, so either
// side may renegotiate at any time (screen sharing, audio-only) without glare: of two
// peers the one with the smaller peer id is "polite" and yields.
//
// Recovery: the socket reconnects on its own (trellis.js); the tab then joins again with
// the same peer id and the others keep their connection to it. A connection that fails
// or stays disconnected restarts ICE without leaving the room.
(function () {
  "use strict";

  var root = document.querySelector("[data-call]");
  if (!root) return;

  var room = root.dataset.room;
  var iceUrl = root.dataset.iceUrl;
  document.body.dataset.callRoom = room;

  function $(selector) {
    return root.querySelector(selector);
  }

  var ui = {
    status: $("[data-call-status]"),
    lobby: $("[data-lobby]"),
    preview: $("[data-preview]"),
    permissionHelp: $("[data-permission-help]"),
    noDeviceHelp: $("[data-no-device-help]"),
    cameraSelect: $("[data-camera-select]"),
    microphoneSelect: $("[data-microphone-select]"),
    joinAudioOnly: $("[data-join-audio-only]"),
    join: $("[data-join]"),
    inCall: $("[data-in-call]"),
    grid: $("[data-grid]"),
    selfVideo: $("[data-self-video]"),
    selfFlags: $("[data-self-flags]"),
    mute: $("[data-toggle-mute]"),
    camera: $("[data-toggle-camera]"),
    audioOnly: $("[data-toggle-audio-only]"),
    screen: $("[data-toggle-screen]"),
    leave: $("[data-leave]"),
    left: $("[data-left]"),
    rejoin: $("[data-rejoin]"),
  };

  function newPeerId() {
    if (window.crypto && window.crypto.randomUUID) return window.crypto.randomUUID().replace(/-/g, "");
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  var me = newPeerId();
  var state = { joined: false, muted: false, cameraOff: false, audioOnly: false, screen: false };
  var localStream = new MediaStream();
  var screenStream = null;
  var iceServers = [];
  var iceTimer = null;
  var peers = {}; // peer id → entry
  var qualityTimer = null;

  function say(text) {
    ui.status.textContent = text;
  }

  function replace(sender, track) {
    sender.replaceTrack(track).catch(function () {});
  }

  function playSafely(video) {
    var playing = video.play();
    if (playing && playing.catch) playing.catch(function () {});
  }

  // --- Local media ----------------------------------------------------------------------

  function audioTrack() {
    return localStream.getAudioTracks()[0] || null;
  }

  function videoTrack() {
    return localStream.getVideoTracks()[0] || null;
  }

  function constraints(kind) {
    var select = kind === "audio" ? ui.microphoneSelect : ui.cameraSelect;
    var deviceId = select && select.value;
    return deviceId ? { deviceId: { exact: deviceId } } : true;
  }

  function stopLocal(kind) {
    localStream.getTracks().forEach(function (track) {
      if (!kind || track.kind === kind) {
        track.stop();
        localStream.removeTrack(track);
      }
    });
  }

  function acquire(wantVideo) {
    ui.permissionHelp.hidden = true;
    ui.noDeviceHelp.hidden = true;
    return navigator.mediaDevices
      .getUserMedia({ audio: constraints("audio"), video: wantVideo ? constraints("video") : false })
      .catch(function (error) {
        if (error && error.name === "NotAllowedError") throw error;
        // No camera, or a camera in use elsewhere: try the microphone alone.
        if (wantVideo) return navigator.mediaDevices.getUserMedia({ audio: constraints("audio"), video: false });
        throw error;
      })
      .then(function (stream) {
        stopLocal();
        stream.getTracks().forEach(function (track) {
          localStream.addTrack(track);
        });
        applyTrackFlags();
        showSelf();
        return listDevices();
      })
      .catch(function (error) {
        if (error && error.name === "NotAllowedError") {
          ui.permissionHelp.hidden = false;
          say("Camera and microphone are blocked. You can still join to listen and watch.");
        } else {
          ui.noDeviceHelp.hidden = false;
          say("No camera or microphone found. You can still join to listen and watch.");
        }
      });
  }

  function fillSelect(select, devices, kind, current) {
    var chosen = select.value || current;
    while (select.options.length > 1) select.remove(1);
    devices
      .filter(function (device) { return device.kind === kind && device.deviceId; })
      .forEach(function (device, index) {
        var option = document.createElement("option");
        option.value = device.deviceId;
        option.textContent = device.label || (kind === "videoinput" ? "Camera " : "Microphone ") + (index + 1);
        select.append(option);
      });
    if (chosen) select.value = chosen;
  }

  function listDevices() {
    if (!navigator.mediaDevices.enumerateDevices) return Promise.resolve();
    return navigator.mediaDevices.enumerateDevices().then(function (devices) {
      var video = videoTrack();
      var audio = audioTrack();
      fillSelect(ui.cameraSelect, devices, "videoinput", video && video.getSettings().deviceId);
      fillSelect(ui.microphoneSelect, devices, "audioinput", audio && audio.getSettings().deviceId);
    });
  }

  function showSelf() {
    var hasVideo = Boolean(videoTrack());
    ui.preview.srcObject = hasVideo ? localStream : null;
    ui.selfVideo.srcObject = hasVideo ? localStream : null;
    if (hasVideo) {
      playSafely(ui.preview);
      playSafely(ui.selfVideo);
    }
    var flags = [];
    if (state.muted) flags.push("muted");
    if (state.audioOnly) flags.push("audio only");
    else if (state.cameraOff || !hasVideo) flags.push("camera off");
    if (state.screen) flags.push("sharing the screen");
    ui.selfFlags.textContent = flags.length ? "(" + flags.join(", ") + ")" : "";
  }

  function applyTrackFlags() {
    var audio = audioTrack();
    var video = videoTrack();
    if (audio) audio.enabled = !state.muted;
    if (video) video.enabled = !state.cameraOff;
  }

  // --- Signalling -----------------------------------------------------------------------

  function send(frame) {
    frame.room = room;
    return window.Trellis && window.Trellis.send ? window.Trellis.send(frame) : false;
  }

  function signal(to, payload) {
    var frame = { type: "call.signal", to: to };
    if (payload.description) frame.description = { type: payload.description.type, sdp: payload.description.sdp };
    if (payload.candidate) frame.candidate = payload.candidate;
    send(frame);
  }

  function sendState() {
    send({
      type: "call.state",
      state: { muted: state.muted, camera_off: state.cameraOff, audio_only: state.audioOnly, screen: state.screen },
    });
  }

  function joinRoom() {
    if (!send({ type: "call.join", peer: me })) say("Connecting…");
  }

  // --- Peers ----------------------------------------------------------------------------

  function tileFor(entry) {
    if (entry.tile) return entry.tile;
    var tile = document.createElement("li");
    tile.className = "call-tile";
    tile.dataset.tile = entry.id;
    var video = document.createElement("video");
    video.autoplay = true;
    video.playsInline = true;
    video.setAttribute("aria-label", entry.name + "'s camera");
    var name = document.createElement("p");
    name.className = "call-tile__name";
    var quality = document.createElement("p");
    quality.className = "call-tile__quality";
    quality.dataset.quality = "";
    quality.textContent = "Connecting…";
    tile.append(video, name, quality);
    ui.grid.append(tile);
    entry.tile = tile;
    entry.video = video;
    entry.nameLabel = name;
    entry.qualityLabel = quality;
    labelTile(entry);
    return tile;
  }

  function labelTile(entry) {
    if (!entry.nameLabel) return;
    var flags = [];
    if (entry.state.muted) flags.push("muted");
    if (entry.state.audio_only) flags.push("audio only");
    else if (entry.state.camera_off) flags.push("camera off");
    if (entry.away) flags.push("reconnecting");
    entry.nameLabel.textContent = entry.name + (flags.length ? " (" + flags.join(", ") + ")" : "");
  }

  function removeScreenTile(entry) {
    if (entry.screenTile) entry.screenTile.remove();
    entry.screenTile = null;
  }

  function showScreen(entry, stream) {
    if (!entry.screenTile) {
      var tile = document.createElement("li");
      tile.className = "call-tile call-tile--screen";
      tile.dataset.screenOf = entry.id;
      var video = document.createElement("video");
      video.autoplay = true;
      video.playsInline = true;
      video.muted = true;
      video.setAttribute("aria-label", entry.name + "'s screen");
      var name = document.createElement("p");
      name.className = "call-tile__name";
      name.textContent = entry.name + "'s screen";
      tile.append(video, name);
      ui.grid.prepend(tile);
      entry.screenTile = tile;
    }
    var screenVideo = entry.screenTile.querySelector("video");
    screenVideo.srcObject = stream;
    playSafely(screenVideo);
    stream.addEventListener("removetrack", function () {
      if (!stream.getTracks().length) removeScreenTile(entry);
    });
  }

  function transceiverOf(pc, kind) {
    var found = null;
    pc.getTransceivers().forEach(function (transceiver) {
      if (found || transceiver.stopped) return;
      if (transceiver.receiver.track && transceiver.receiver.track.kind === kind) {
        found = transceiver;
      }
    });
    return found;
  }

  // Put the local microphone and camera on the connection's first audio and video
  // transceivers (made here for the side that offers, taken from the offer otherwise).
  function attachLocal(entry, offering) {
    var pc = entry.pc;
    if (offering) {
      entry.audio = pc.addTransceiver("audio", { direction: "sendrecv", streams: [localStream] });
      entry.camera = pc.addTransceiver("video", { direction: "sendrecv", streams: [localStream] });
    } else {
      entry.audio = transceiverOf(pc, "audio");
      entry.camera = transceiverOf(pc, "video");
      [entry.audio, entry.camera].forEach(function (transceiver) {
        if (!transceiver) return;
        transceiver.direction = "sendrecv";
        if (transceiver.sender.setStreams) transceiver.sender.setStreams(localStream);
      });
    }
    if (entry.audio) replace(entry.audio.sender, audioTrack());
    if (entry.camera) {
      replace(entry.camera.sender, state.audioOnly ? null : videoTrack());
      if (state.audioOnly) entry.camera.direction = "inactive";
    }
    if (state.screen && screenStream) addScreen(entry);
  }

  function addScreen(entry) {
    if (entry.screenSender || !screenStream) return;
    entry.screenSender = entry.pc.addTrack(screenStream.getVideoTracks()[0], screenStream);
  }

  function removeScreen(entry) {
    if (!entry.screenSender) return;
    try {
      entry.pc.removeTrack(entry.screenSender);
    } catch (error) {
      // The connection closed meanwhile.
    }
    entry.screenSender = null;
  }

  function makePeer(id, name) {
    var entry = peers[id];
    if (entry && entry.pc && entry.pc.connectionState !== "closed") return entry;
    entry = entry || { id: id, name: name || "Someone", state: {}, tile: null };
    entry.polite = me < id;
    entry.makingOffer = false;
    entry.ignoreOffer = false;
    entry.cameraStreamId = null;
    entry.screenSender = null;
    entry.attached = false;
    entry.stats = { lost: 0, received: 0 };
    var pc = new RTCPeerConnection({ iceServers: iceServers });
    entry.pc = pc;
    peers[id] = entry;
    tileFor(entry);

    pc.onicecandidate = function (event) {
      if (event.candidate) signal(id, { candidate: event.candidate.toJSON() });
    };
    pc.onnegotiationneeded = function () {
      entry.makingOffer = true;
      pc.setLocalDescription()
        .then(function () {
          signal(id, { description: pc.localDescription });
        })
        .catch(function (error) {
          window.console.warn("call: could not make an offer", error);
        })
        .then(function () {
          entry.makingOffer = false;
        });
    };
    pc.ontrack = function (event) {
      var stream = event.streams[0] || new MediaStream([event.track]);
      if (entry.cameraStreamId === null) entry.cameraStreamId = stream.id;
      if (stream.id === entry.cameraStreamId) {
        if (entry.video.srcObject !== stream) {
          entry.video.srcObject = stream;
        }
        playSafely(entry.video);
      } else {
        showScreen(entry, stream);
      }
    };
    pc.onconnectionstatechange = function () {
      var connection = pc.connectionState;
      entry.tile.dataset.connection = connection;
      window.clearTimeout(entry.restartTimer);
      if (connection === "connected") {
        entry.away = false;
        labelTile(entry);
        say("In the call.");
      } else if (connection === "failed") {
        restartIce(entry);
      } else if (connection === "disconnected") {
        // Often back on its own within seconds (a network change); if not, restart ICE.
        entry.restartTimer = window.setTimeout(function () {
          if (pc.connectionState === "disconnected") restartIce(entry);
        }, 3000);
      }
    };
    return entry;
  }

  function restartIce(entry) {
    if (entry.pc && entry.pc.connectionState !== "closed" && entry.pc.restartIce) {
      entry.pc.restartIce();
    }
  }

  function dropPeer(id) {
    var entry = peers[id];
    if (!entry) return;
    window.clearTimeout(entry.graceTimer);
    window.clearTimeout(entry.restartTimer);
    if (entry.pc) entry.pc.close();
    if (entry.tile) entry.tile.remove();
    removeScreenTile(entry);
    delete peers[id];
  }

  function onDescription(entry, description) {
    var pc = entry.pc;
    var collision = description.type === "offer" && (entry.makingOffer || pc.signalingState !== "stable");
    entry.ignoreOffer = !entry.polite && collision;
    if (entry.ignoreOffer) return Promise.resolve();
    return pc
      .setRemoteDescription(description)
      .then(function () {
        if (description.type !== "offer") return null;
        if (!entry.attached) {
          entry.attached = true;
          attachLocal(entry, false);
        }
        return pc.setLocalDescription().then(function () {
          signal(entry.id, { description: pc.localDescription });
        });
      })
      .catch(function (error) {
        window.console.warn("call: could not apply a description", error);
      });
  }

  function onSignal(event) {
    var entry = peers[event.from];
    if (event.description) {
      var fresh = !entry || !entry.pc || ["closed", "failed"].indexOf(entry.pc.connectionState) >= 0;
      if (event.description.type === "offer" && fresh) {
        // A new peer, or one whose connection is beyond repair: start over.
        if (entry && entry.pc) entry.pc.close();
        entry = makePeer(event.from, entry ? entry.name : null);
      }
      if (!entry) return;
      onDescription(entry, event.description);
    } else if (event.candidate && entry && entry.pc) {
      entry.pc.addIceCandidate(event.candidate).catch(function (error) {
        if (!entry.ignoreOffer) window.console.warn("call: bad candidate", error);
      });
    }
  }

  function connectTo(info) {
    var entry = peers[info.peer];
    if (entry && entry.pc) {
      entry.name = info.name;
      entry.away = false;
      window.clearTimeout(entry.graceTimer);
      labelTile(entry);
      var connection = entry.pc.connectionState;
      if (connection === "connected" || connection === "connecting") return;
      if (connection === "disconnected") {
        restartIce(entry);
        return;
      }
      entry.pc.close();
    }
    entry = makePeer(info.peer, info.name);
    entry.attached = true;
    attachLocal(entry, true); // negotiationneeded sends the offer
  }

  // --- Events from the socket -------------------------------------------------------------

  function onJoined(event) {
    setIceServers(event.ice_servers || [], event.expires_at);
    var present = {};
    (event.peers || []).forEach(function (info) {
      present[info.peer] = true;
      connectTo(info);
    });
    Object.keys(peers).forEach(function (id) {
      if (!present[id]) dropPeer(id);
    });
    sendState();
    say(event.peers && event.peers.length ? "Connecting to the others…" : "You are in the call. Waiting for the others to join…");
    startQuality();
  }

  function onPeerJoined(event) {
    var info = event.peer;
    var entry = peers[info.peer];
    if (entry) {
      // The same tab back after its socket dropped: the connection may never have broken.
      entry.away = false;
      window.clearTimeout(entry.graceTimer);
      labelTile(entry);
    } else {
      entry = { id: info.peer, name: info.name, state: {}, tile: null };
      peers[info.peer] = entry;
      tileFor(entry);
    }
    say(info.name + " joined.");
    sendState();
  }

  function onPeerLeft(event) {
    var entry = peers[event.peer];
    if (!entry) return;
    if (event.reason === "disconnected" && entry.pc && entry.pc.connectionState === "connected") {
      // Their socket dropped; their media may still flow. Give them time to come back.
      entry.away = true;
      labelTile(entry);
      entry.graceTimer = window.setTimeout(function () {
        if (entry.pc && entry.pc.connectionState !== "connected") dropPeer(event.peer);
      }, 30000);
      return;
    }
    say(entry.name + " left the call.");
    dropPeer(event.peer);
  }

  function onError(event) {
    if (event.room !== room) return;
    if (event.code === "call_refused") {
      say("You cannot join this call: " + event.message);
      state.joined = false;
      showLeft();
    } else if (event.code === "call_full" || event.code === "call_closed") {
      say(event.message);
      state.joined = false;
      showLeft();
    } else if (event.code === "not_in_call" && state.joined) {
      joinRoom();
    }
  }

  document.addEventListener("trellis:event", function (domEvent) {
    var event = domEvent.detail || {};
    if (event.room !== room) return;
    if (event.type === "error") return onError(event);
    if (!state.joined) return;
    switch (event.type) {
      case "call.joined":
        onJoined(event);
        break;
      case "call.peer_joined":
        onPeerJoined(event);
        break;
      case "call.peer_left":
        onPeerLeft(event);
        break;
      case "call.signal":
        onSignal(event);
        break;
      case "call.state": {
        var entry = peers[event.peer];
        if (entry) {
          entry.state = event.state || {};
          labelTile(entry);
          if (!entry.state.screen) removeScreenTile(entry);
        }
        break;
      }
      default:
        break;
    }
  });

  document.addEventListener("trellis:socket-open", function () {
    if (state.joined) joinRoom(); // back after a drop: same peer id, same connections
  });
  document.addEventListener("trellis:socket-closed", function () {
    if (state.joined) say("Reconnecting… the call goes on meanwhile.");
  });

  // --- ICE servers ----------------------------------------------------------------------

  function setIceServers(servers, expiresAt) {
    iceServers = servers;
    Object.keys(peers).forEach(function (id) {
      var pc = peers[id].pc;
      if (pc && pc.connectionState !== "closed") pc.setConfiguration({ iceServers: iceServers });
    });
    window.clearTimeout(iceTimer);
    if (expiresAt) {
      // Renew a TURN credential a minute before it runs out.
      var wait = Math.max(10, expiresAt - Date.now() / 1000 - 60) * 1000;
      iceTimer = window.setTimeout(refreshIce, Math.min(wait, 2147483000));
    }
  }

  function refreshIce() {
    fetch(iceUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (data) setIceServers(data.ice_servers || [], data.expires_at);
      })
      .catch(function () {
        iceTimer = window.setTimeout(refreshIce, 30000);
      });
  }

  // --- Connection quality ---------------------------------------------------------------

  function measure(entry) {
    if (!entry.pc || entry.pc.connectionState !== "connected") return;
    entry.pc.getStats().then(function (report) {
      var rtt = null;
      var lost = 0;
      var received = 0;
      report.forEach(function (stat) {
        if (stat.type === "candidate-pair" && stat.nominated && stat.state === "succeeded") {
          if (typeof stat.currentRoundTripTime === "number") rtt = stat.currentRoundTripTime;
        } else if (stat.type === "inbound-rtp") {
          lost += stat.packetsLost || 0;
          received += stat.packetsReceived || 0;
        }
      });
      var newLost = Math.max(0, lost - entry.stats.lost);
      var newReceived = Math.max(0, received - entry.stats.received);
      entry.stats = { lost: lost, received: received };
      var loss = newLost + newReceived ? newLost / (newLost + newReceived) : 0;
      var level = "good";
      if ((rtt !== null && rtt > 0.6) || loss > 0.08) level = "poor";
      else if ((rtt !== null && rtt > 0.3) || loss > 0.02) level = "fair";
      entry.qualityLabel.dataset.level = level;
      entry.qualityLabel.textContent =
        "Connection " + level + (rtt !== null ? ", " + Math.round(rtt * 1000) + " ms" : "");
      if (level === "poor" && !state.audioOnly) {
        say("The connection to " + entry.name + " is weak. Audio only may help.");
      }
    }).catch(function () {});
  }

  function startQuality() {
    window.clearInterval(qualityTimer);
    qualityTimer = window.setInterval(function () {
      Object.keys(peers).forEach(function (id) { measure(peers[id]); });
    }, 2000);
  }

  // --- Controls -------------------------------------------------------------------------

  function press(button, pressed) {
    button.setAttribute("aria-pressed", pressed ? "true" : "false");
  }

  function eachPeer(action) {
    Object.keys(peers).forEach(function (id) {
      var entry = peers[id];
      if (entry.pc && entry.pc.connectionState !== "closed" && entry.attached) action(entry);
    });
  }

  function setAudioOnly(on) {
    state.audioOnly = on;
    press(ui.audioOnly, on);
    var ready = on ? Promise.resolve() : acquireCamera();
    return ready.then(function () {
      if (on) stopLocal("video");
      eachPeer(function (entry) {
        if (!entry.camera) return;
        replace(entry.camera.sender, on ? null : videoTrack());
        // Inactive: the camera's video goes neither way, so a weak line carries voices.
        entry.camera.direction = on ? "inactive" : "sendrecv";
      });
      showSelf();
      sendState();
      say(on ? "Audio only: no video is sent or received." : "Video is back on.");
    });
  }

  function acquireCamera() {
    if (videoTrack()) return Promise.resolve();
    return navigator.mediaDevices
      .getUserMedia({ video: constraints("video") })
      .then(function (stream) {
        var track = stream.getVideoTracks()[0];
        track.enabled = !state.cameraOff;
        localStream.addTrack(track);
      })
      .catch(function () {
        say("The camera could not be started.");
      });
  }

  function startScreen() {
    if (!navigator.mediaDevices.getDisplayMedia) {
      say("This browser cannot share the screen.");
      return Promise.resolve();
    }
    return navigator.mediaDevices
      .getDisplayMedia({ video: true, audio: false })
      .then(function (stream) {
        screenStream = stream;
        state.screen = true;
        press(ui.screen, true);
        ui.screen.textContent = "Stop sharing";
        stream.getVideoTracks()[0].addEventListener("ended", stopScreen);
        eachPeer(addScreen);
        showSelf();
        sendState();
        say("You are sharing your screen.");
      })
      .catch(function () {
        say("Screen sharing was cancelled.");
      });
  }

  function stopScreen() {
    if (!screenStream) return;
    eachPeer(removeScreen);
    screenStream.getTracks().forEach(function (track) { track.stop(); });
    screenStream = null;
    state.screen = false;
    press(ui.screen, false);
    ui.screen.textContent = "Share screen";
    showSelf();
    sendState();
  }

  function changeDevice(kind) {
    var wanted = kind === "audio" ? { audio: constraints("audio") } : { video: constraints("video") };
    if (kind === "video" && state.audioOnly) return;
    navigator.mediaDevices
      .getUserMedia(wanted)
      .then(function (stream) {
        var track = stream.getTracks()[0];
        stopLocal(kind);
        localStream.addTrack(track);
        applyTrackFlags();
        eachPeer(function (entry) {
          var transceiver = kind === "audio" ? entry.audio : entry.camera;
          if (transceiver) replace(transceiver.sender, track);
        });
        showSelf();
      })
      .catch(function () {
        say("That device could not be started.");
      });
  }

  function showLeft() {
    ui.inCall.hidden = true;
    ui.lobby.hidden = true;
    ui.left.hidden = false;
  }

  function leave() {
    if (state.joined) send({ type: "call.leave" });
    state.joined = false;
    Object.keys(peers).forEach(dropPeer);
    stopScreen();
    window.clearInterval(qualityTimer);
    showLeft();
    say("You left the call.");
  }

  function join() {
    state.joined = true;
    ui.lobby.hidden = true;
    ui.left.hidden = true;
    ui.inCall.hidden = false;
    var start = ui.joinAudioOnly.checked ? setAudioOnly(true) : Promise.resolve();
    start.then(function () {
      showSelf();
      say("Joining…");
      joinRoom();
    });
  }

  ui.join.addEventListener("click", join);
  ui.rejoin.addEventListener("click", function () {
    me = newPeerId();
    (audioTrack() || videoTrack() ? Promise.resolve() : acquire(!state.audioOnly)).then(join);
  });
  ui.leave.addEventListener("click", leave);
  ui.mute.addEventListener("click", function () {
    state.muted = !state.muted;
    press(ui.mute, state.muted);
    ui.mute.textContent = state.muted ? "Unmute" : "Mute";
    applyTrackFlags();
    showSelf();
    sendState();
  });
  ui.camera.addEventListener("click", function () {
    state.cameraOff = !state.cameraOff;
    press(ui.camera, state.cameraOff);
    ui.camera.textContent = state.cameraOff ? "Camera on" : "Camera off";
    applyTrackFlags();
    showSelf();
    sendState();
  });
  ui.audioOnly.addEventListener("click", function () {
    setAudioOnly(!state.audioOnly);
  });
  ui.screen.addEventListener("click", function () {
    if (state.screen) stopScreen();
    else startScreen();
  });
  ui.cameraSelect.addEventListener("change", function () { changeDevice("video"); });
  ui.microphoneSelect.addEventListener("change", function () { changeDevice("audio"); });
  root.querySelectorAll("[data-retry-media]").forEach(function (button) {
    button.addEventListener("click", function () {
      acquire(!ui.joinAudioOnly.checked).then(function () {
        if (audioTrack() || videoTrack()) say("Camera and microphone are ready.");
      });
    });
  });
  window.addEventListener("online", function () {
    Object.keys(peers).forEach(function (id) { restartIce(peers[id]); });
  });
  window.addEventListener("pagehide", function () {
    if (state.joined) send({ type: "call.leave" });
  });

  // For tests and the curious: the live connections.
  window.TrellisCall = {
    peerId: function () { return me; },
    connections: function () {
      return Object.keys(peers).map(function (id) { return peers[id].pc; }).filter(Boolean);
    },
    state: state,
  };

  if (!window.RTCPeerConnection || !navigator.mediaDevices) {
    say("This browser cannot make calls. Use the link or number below.");
    return;
  }
  acquire(true).then(function () {
    ui.join.disabled = false;
    if (audioTrack() || videoTrack()) say("Camera and microphone are ready. Join when you are.");
  });
})();
