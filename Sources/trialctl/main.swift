import TrialClient

TrialctlMain.main()
