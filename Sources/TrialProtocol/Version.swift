/// The version of trialtrack that trialsd reports in GetInfo and both binaries print.
public let trialtrackVersion = "0.2.0"
